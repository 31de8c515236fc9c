"""Reports the conversation set's pass rate (messaging/tests/test_conversations.py) at the end of a run."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    outcomes: dict[str, int] = {}
    for kind in ("passed", "failed", "xfailed", "xpassed", "error"):
        for report in terminalreporter.stats.get(kind, []):
            if "test_conversation[" in getattr(report, "nodeid", "") and getattr(report, "when", "call") == "call":
                outcomes[kind] = outcomes.get(kind, 0) + 1
    total = sum(outcomes.values())
    if not total:
        return
    from messaging.tests.test_conversations import reply_time_summary

    passed = outcomes.get("passed", 0) + outcomes.get("xpassed", 0)
    terminalreporter.write_sep("-", "conversation set")
    terminalreporter.write_line(
        f"conversations: {passed}/{total} pass ({100 * passed / total:.0f} %); "
        f"known failures {outcomes.get('xfailed', 0)}, failed {outcomes.get('failed', 0)}; {reply_time_summary()}"
    )
