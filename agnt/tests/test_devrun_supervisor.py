"""`make run` supervises its children: one that dies comes back, only stop() ends them."""

from __future__ import annotations

import io
import os
import signal
import sys

from agnt.devrun import RESTART_BACKOFF_FIRST, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_worker_is_restarted_after_its_backoff_and_the_others_keep_running():
    clock, out = Clock(), io.StringIO()
    supervisor = Supervisor({"worker": SLEEPER, "beat": SLEEPER}, cwd=".", env=dict(os.environ), clock=clock, out=out)
    supervisor.start_all()
    try:
        worker, beat = supervisor.processes["worker"], supervisor.processes["beat"]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

        supervisor.poll()
        assert "the worker process exited (signal 9); restarting it in 1 s." in out.getvalue()
        assert out.getvalue().count("\n") == 1  # one line
        assert supervisor.processes["worker"] is worker  # not before its backoff

        clock.now += RESTART_BACKOFF_FIRST
        supervisor.poll()
        restarted = supervisor.processes["worker"]
        assert restarted is not worker and restarted.poll() is None
        assert supervisor.restarts == {"worker": 1}
        assert supervisor.processes["beat"] is beat and beat.poll() is None
    finally:
        supervisor.stop(timeout=10)
    assert all(proc.poll() is not None for proc in supervisor.processes.values())


def test_a_child_that_keeps_dying_backs_off_and_one_that_ran_a_while_starts_from_one_second():
    clock, out = Clock(), io.StringIO()
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = Supervisor({"beat": failing}, cwd=".", env=dict(os.environ), clock=clock, out=out)
    supervisor.start_all()
    try:
        delays = []
        for _ in range(4):
            supervisor.processes["beat"].wait(timeout=10)
            supervisor.poll()
            delays.append(supervisor.restart_at["beat"] - clock.now)
            clock.now += delays[-1]
            supervisor.poll()  # restarts it
        assert delays == [1.0, 2.0, 4.0, 8.0]
        assert "exited (code 3)" in out.getvalue()

        supervisor.processes["beat"].wait(timeout=10)
        clock.now += 120  # it had been running for two minutes when it died
        supervisor.poll()
        assert supervisor.restart_at["beat"] - clock.now == RESTART_BACKOFF_FIRST
    finally:
        supervisor.stop(timeout=10)
