"""Hostile agent code fails its run with a clear error; the process and other runs carry on."""

from __future__ import annotations

import os

import pytest

from agents.hosted.state import RunStatus
from agents.hosted.tests.conftest import make_agent, run_now

pytestmark = pytest.mark.django_db(transaction=True)

ECHO = "def handler(event):\n    return {'echo': event.get('text', '')}\n"


def _attack(owner, body: str, **fields):
    code = "def handler(event):\n" + "".join(f"    {line}\n" for line in body.splitlines())
    _, deployment = make_agent(owner, code=code, friendly_name="attacker", **fields)
    return run_now(deployment, {}, payer=owner)


def _still_serving(owner):
    _, deployment = make_agent(owner, code=ECHO, name="Echo", friendly_name="echo-after")
    run = run_now(deployment, {"text": "still here"}, payer=owner)
    assert run.status == RunStatus.SUCCEEDED and run.output == {"echo": "still here"}


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ("import os\nreturn {'env': dict(os.environ)}", "code_error", "os.environ"),
        ("return {'f': open('/etc/passwd').read()}", "code_error", "Permission"),
        ("import socket\nreturn {}", "forbidden", "socket"),
        ("import subprocess\nreturn {}", "forbidden", "subprocess"),
        ("import ctypes\nreturn {}", "forbidden", "ctypes"),
        ("m = __import__('os')\nreturn {}", "code_error", "__import__"),
        ("while True:\n    pass", "timed_out", "time limit"),
        ("x = 'a' * (2 ** 33)\nreturn {'n': len(x)}", "memory_limit", "memory"),
        ("def f(n):\n    return f(n + 1)\nreturn f(0)", "recursion_limit", "recursion"),
    ],
    ids=[
        "environ",
        "open",
        "socket",
        "subprocess",
        "ctypes",
        "dunder-import",
        "infinite-loop",
        "huge-alloc",
        "recursion",
    ],
)
def test_hostile_code_fails_its_run_with_a_clear_error(owner, body, code, words):
    os.environ["AGNT_SECRET_CANARY"] = "do-not-leak"
    run = _attack(owner, body)

    assert run.status in (RunStatus.FAILED, RunStatus.TIMED_OUT)
    assert run.error_code == code, (run.error_code, run.error)
    assert words.lower() in run.error.lower()
    assert run.output is None and "do-not-leak" not in run.error
    _still_serving(owner)


def test_printing_megabytes_fails_the_run_and_keeps_only_a_bounded_log(owner):
    run = _attack(owner, "for i in range(20000):\n    print('x' * 100)\nreturn {}")

    assert run.status == RunStatus.FAILED and run.error_code == "output_limit"
    logged = sum(len(e.data.get("stdout", "")) for e in run.events.all())
    assert logged <= 2000
    _still_serving(owner)


def test_an_undeclared_tool_fails_the_run_even_when_the_code_catches_the_refusal(owner):
    run = _attack(
        owner,
        "try:\n    call_tool('venue_search', {'query': 'x'})\nexcept Exception:\n    pass\nreturn {'ok': True}",
    )

    assert run.status == RunStatus.FAILED and run.error_code == "undeclared_tool"
    assert "venue_search" in run.error


def test_an_undeclared_agent_fails_the_run(owner):
    run = _attack(owner, "return call_agent('someone-else', {})")

    assert run.status == RunStatus.FAILED and run.error_code == "undeclared_agent"


def test_code_without_a_handler_is_refused_at_save(owner):
    from agents.hosted import services
    from agents.hosted.errors import InvalidRequest

    with pytest.raises(InvalidRequest) as refused:
        services.hosted_agent_create(owner=owner, name="x", code="print('hi')")
    assert refused.value.field == "code"


def test_globals_do_not_leak_from_one_run_to_the_next(owner):
    _, writer = make_agent(owner, code="secret = 42\ndef handler(event):\n    return {}\n", friendly_name="writer")
    _, reader = make_agent(
        owner, code="def handler(event):\n    return {'seen': secret}\n", name="Reader", friendly_name="reader"
    )
    assert run_now(writer, {}, payer=owner).status == RunStatus.SUCCEEDED
    run = run_now(reader, {}, payer=owner)
    assert run.status == RunStatus.FAILED and "secret" in run.error
