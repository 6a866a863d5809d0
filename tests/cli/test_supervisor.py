"""The supervision policy on real child processes: backoff, restart counts, the reason."""

from __future__ import annotations

import signal
import subprocess
import sys

from motcua_cli.embedded import exit_reason
from motcua_cli.supervisor import DIED, RESTART_FAILED, RESTARTED, RestartPolicy, Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Child:
    """A real process running `code`; start() runs it again."""

    def __init__(self, name: str, code: str) -> None:
        self.name, self.code = name, code
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", self.code])
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_reason(self) -> str:
        return exit_reason(self.process.poll() if self.process else None)

    def finish(self) -> None:
        if self.process is not None:
            self.process.wait(10)


def test_backoff_doubles_up_to_the_cap():
    policy = RestartPolicy(initial=0.5, factor=2, cap=4)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1, 2, 4, 4, 4]


def test_a_crashing_process_is_restarted_after_a_growing_delay_and_counted():
    clock = Clock()
    supervisor = Supervisor(RestartPolicy(initial=1, factor=2, cap=8, stable_after=60), clock)
    child = Child("approval", "raise SystemExit(3)")
    child.start()
    supervisor.watch(child)
    child.finish()
    [died] = supervisor.poll()
    assert (died.what, died.reason, died.delay, died.restarts) == (DIED, "exit code 3", 1, 0)
    assert supervisor.poll() == []  # its delay has not run out
    clock.now += 1
    [restarted] = supervisor.poll()
    assert (restarted.what, restarted.restarts, child.starts) == (RESTARTED, 1, 2)
    child.finish()  # dies again at once: the next delay is twice as long
    clock.now += 5
    [died] = supervisor.poll()
    assert died.delay == 2
    clock.now += 2
    supervisor.poll()
    assert supervisor.restarts("approval") == 2


def test_a_process_that_ran_long_enough_starts_again_from_the_first_delay():
    clock = Clock()
    supervisor = Supervisor(RestartPolicy(initial=1, factor=2, cap=30, stable_after=60), clock)
    child = Child("signing", "import time; time.sleep(30)")
    child.start()
    supervisor.watch(child)
    for _ in range(3):  # three quick deaths: 1, 2, 4 s
        child.process.send_signal(signal.SIGKILL)
        child.finish()
        [died] = supervisor.poll()
        clock.now += died.delay
        supervisor.poll()
    assert died.delay == 4 and died.reason == "signal SIGKILL"
    clock.now += 61  # it ran a minute: a new death is a first one again
    child.process.send_signal(signal.SIGKILL)
    child.finish()
    [died] = supervisor.poll()
    assert died.delay == 1
    child.process = None


def test_a_restart_that_fails_is_tried_again_later():
    clock = Clock()
    supervisor = Supervisor(RestartPolicy(initial=1, factor=2, cap=30), clock)
    child = Child("broker", "pass")
    child.start()
    attempts = []

    def restart() -> None:
        attempts.append(clock.now)
        if len(attempts) == 1:
            raise OSError("port in use")
        child.start()

    supervisor.watch(child, restart=restart)
    child.finish()
    supervisor.poll()
    clock.now += 1
    [failed] = supervisor.poll()
    assert failed.what == RESTART_FAILED and "port in use" in failed.reason
    assert supervisor.waiting() == {"broker": 2}
    clock.now += 2
    [restarted] = supervisor.poll()
    assert restarted.what == RESTARTED and supervisor.restarts("broker") == 1
    child.finish()


def test_a_held_process_is_neither_judged_dead_nor_restarted_until_released():
    clock = Clock()
    supervisor = Supervisor(RestartPolicy(initial=1), clock)
    child = Child("intake", "pass")
    child.start()
    supervisor.watch(child)
    supervisor.hold(["intake"])
    child.finish()
    clock.now += 10
    assert supervisor.poll() == [] and child.starts == 1
    supervisor.release(["intake"])
    [died] = supervisor.poll()
    assert died.what == DIED
