"""Reports the conversation set's pass rate (messaging/tests/test_conversations.py) at the end of a run."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = []
    for label, test in (("conversations", "test_conversation["), ("holdout", "test_holdout_conversation[")):
        outcomes: dict[str, int] = {}
        for kind in ("passed", "failed", "xfailed", "xpassed", "error"):
            for report in terminalreporter.stats.get(kind, []):
                if test in getattr(report, "nodeid", "") and getattr(report, "when", "call") == "call":
                    outcomes[kind] = outcomes.get(kind, 0) + 1
        total = sum(outcomes.values())
        if total:
            passed = outcomes.get("passed", 0) + outcomes.get("xpassed", 0)
            lines.append(
                f"{label}: {passed}/{total} pass ({100 * passed / total:.0f} %); "
                f"known failures {outcomes.get('xfailed', 0)}, failed {outcomes.get('failed', 0)}"
            )
    if not lines:
        return
    from messaging.tests.test_conversations import reply_time_summary

    terminalreporter.write_sep("-", "conversation sets")
    for line in lines:
        terminalreporter.write_line(line)
    terminalreporter.write_line(reply_time_summary())
