"""Reports the conversation set's pass rate (messaging/tests/test_conversations.py) at the end of a run."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from messaging.tests.test_conversations import conversation_set, reply_time_summary

    outcomes: dict[str, int] = {}
    per_set: dict[str, list[int]] = {}  # set name -> [passed, total]
    for kind in ("passed", "failed", "xfailed", "xpassed", "error"):
        for report in terminalreporter.stats.get(kind, []):
            nodeid = getattr(report, "nodeid", "")
            if "test_conversation[" in nodeid and getattr(report, "when", "call") == "call":
                outcomes[kind] = outcomes.get(kind, 0) + 1
                counts = per_set.setdefault(conversation_set(nodeid), [0, 0])
                counts[0] += kind in ("passed", "xpassed")
                counts[1] += 1
    total = sum(outcomes.values())
    if not total:
        return

    passed = outcomes.get("passed", 0) + outcomes.get("xpassed", 0)
    terminalreporter.write_sep("-", "conversation set")
    terminalreporter.write_line(
        f"conversations: {passed}/{total} pass ({100 * passed / total:.0f} %); "
        f"known failures {outcomes.get('xfailed', 0)}, failed {outcomes.get('failed', 0)}; {reply_time_summary()}"
    )
    terminalreporter.write_line(
        "sets — " + "; ".join(f"{name}: {passed}/{count}" for name, (passed, count) in per_set.items())
    )
