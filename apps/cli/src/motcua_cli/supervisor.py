"""The stage services as separate OS processes, and the supervision that keeps them running.
`motcua up`, `motcua chaos` and the end-to-end tests all use it.

- `ServiceProcess`: one service's process: start, stop (SIGTERM: it drains), kill (SIGKILL),
  freeze/thaw (SIGSTOP/SIGCONT), and `readiness()`: what it still lacks (listening? joined its
  consumer group?), None once ready.
- `Supervisor`: restarts any watched process that died, after an exponential backoff
  (`RestartPolicy`), counting restarts per process and why. `poll()` is one step: it looks at
  every process once, starts those whose delay has run out, and returns what happened, for the
  caller to print. It never sleeps and prints nothing, so a test can drive it with its own clock.
  A process's restart is its own `start()` unless `watch(..., restart=...)` names another (the
  broker's restart also restores the log, motcua_cli.embedded_stack).
- `plan_services`, `start_all`, `stop_all`: the stack's processes, in order."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from motcua_cli.embedded import (
    die_with_parent,
    exit_reason,
    free_port,
    signal_pid,
    wait_for_port,
)

# SIGTERM, then SIGKILL after this long: above the drain of a batch (motcua_runtime.service).
STOP_SECONDS = 40.0


def _listens(port: int) -> bool:
    try:
        wait_for_port(port, 0.3)
        return True
    except TimeoutError:
        return False


@dataclass
class ServiceProcess:
    name: str  # e.g. "appraisal" or "appraisal.STP"
    stage: str
    agency: str | None
    metrics_port: int
    log_path: Path
    env: dict[str, str]
    http_port: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    @property
    def http_url(self) -> str | None:
        return f"http://127.0.0.1:{self.http_port}" if self.http_port else None

    def start(self) -> None:
        command = [sys.executable, "-m", f"motcua_{self.stage}"]
        if self.agency:
            command += ["--agency", self.agency]
        prefix = self.stage.upper()
        env = {**os.environ, **self.env, f"{prefix}_METRICS_PORT": str(self.metrics_port),
               f"{prefix}_METRICS_HOST": "127.0.0.1", "LOG_FORMAT": "json"}
        if self.http_port:
            env[f"{prefix}_HTTP_PORT"] = str(self.http_port)
            env[f"{prefix}_HTTP_HOST"] = "127.0.0.1"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)

    def wait_ready(self, timeout: float = 300) -> None:
        """Ready means consuming: its consumer holds partitions (and intake's API listens)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while (missing := self.readiness()) is not None:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.exit_reason()}); "
                                   f"see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} is not ready after {timeout:.0f}s "
                                   f"({missing}); see {self.log_path}")
            time.sleep(0.2)

    def readiness(self) -> str | None:
        """What it still lacks, in words, or None when it is ready."""
        if not self.alive():
            return f"not running: {self.exit_reason()}"
        if not _listens(self.metrics_port):
            return "metrics listening?"
        if self.http_port and not _listens(self.http_port):
            return "HTTP listening?"
        if self.stage in CONSUMERLESS:
            return None
        if self.assigned_partitions() == 0:
            return "joined consumer group?"
        return None

    def exit_reason(self) -> str:
        return exit_reason(self.process.poll() if self.process else None)

    def freeze(self) -> None:
        signal_pid(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        signal_pid(self.pid, signal.SIGCONT)

    def assigned_partitions(self) -> int:
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return 0
        match = re.search(r"^motcua_assigned_partitions\{[^}]*\} ([0-9.]+)$", text, re.M)
        return int(float(match.group(1))) if match else 0

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: what a crash looks like to everybody else."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        if not self.alive():
            return
        self.thaw()  # a frozen process cannot handle SIGTERM
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def plan_services(env: dict[str, str], log_dir: Path, *, api_port: int,
                  agencies: dict[str, list[str]] | None = None,
                  dashboard_port: int | None = None, workspace_port: int | None = None,
                  services: tuple[str, ...] | None = None) -> list[ServiceProcess]:
    """One process per stage, intake first (it serves the citizens' API on `api_port`); every
    other instance serves its officers' work queue on a port of its own, the operations
    view its dashboard on `dashboard_port` (default: a free one), scraping every process's
    metrics, and the officers' workspace its pages on `workspace_port` (default: a free one).
    `agencies` adds per-agency instances of a stage, e.g. {"appraisal": ["STP"]};
    `services` picks fewer than all of SERVICES."""
    from motcua_cli import SERVICES

    planned = []
    for stage in services or SERVICES:
        if stage == "portal" and not portal_configured(env):
            continue  # no national portal to sync with (docs/portal.md)
        own_instances = (agencies or {}).get(stage, [])
        for agency in [None, *own_instances]:
            name = stage if agency is None else f"{stage}.{agency}"
            stage_env = dict(env)
            if agency is None and own_instances:
                stage_env[f"{stage.upper()}_EXCEPT_AGENCIES"] = ",".join(own_instances)
            planned.append(ServiceProcess(
                name=name, stage=stage, agency=agency, metrics_port=free_port(),
                log_path=log_dir / f"{name}.log", env=stage_env,
                http_port=_http_port(stage, agency, api_port, dashboard_port, workspace_port)))
    # Intake fetches delivered results from signing's internal endpoint (any instance: they
    # share signing's schema). SMTP_* and NOTIFY_FROM reach intake from the environment.
    signing = next((s for s in planned if s.stage == "signing" and s.agency is None), None)
    targets = ",".join(f"{s.name}={s.metrics_url}" for s in planned)
    # The workspace calls every work queue and intake: their ports are fixed here, before any
    # process starts, and kept across restarts, so these are the URLs the stack file lists.
    queues = ",".join(f"{s.name}={s.http_url}" for s in planned
                      if s.stage in WORK_QUEUE_STAGES and s.http_url)
    intake = next((s.http_url for s in planned if s.stage == "intake" and s.http_url), None)
    if intake:  # the desk's work queue is intake's own API (motcua_intake.desk_queue)
        queues = ",".join(filter(None, [queues, f"intake={intake}"]))
    for service in planned:
        if service.stage == "intake" and signing is not None:
            service.env.setdefault("INTAKE_SIGNING_URL", signing.http_url or "")
        if service.stage == "delivery" and intake:  # the hand-over record's reads are logged
            service.env.setdefault("DELIVERY_INTAKE_URL", intake)
        if service.stage == "operations":
            service.env["OPERATIONS_METRICS_TARGETS"] = targets
        if service.stage == "workspace":
            service.env["WORKSPACE_STAGE_URLS"] = queues
            if intake:
                service.env["WORKSPACE_INTAKE_URL"] = intake
    return planned


def portal_configured(env: dict[str, str]) -> bool:
    """Whether the national portal's sync runs: only when told where the portal is
    (PORTAL_URL, in `env` or this process's environment). On the embedded default there is
    none, and a sync against nothing would only fill its queue."""
    return bool(env.get("PORTAL_URL") or os.environ.get("PORTAL_URL"))


def _http_port(stage: str, agency: str | None, api_port: int,
               dashboard_port: int | None, workspace_port: int | None) -> int | None:
    """Intake's citizens' API on the given port; a work queue for each officers' stage; the
    operations dashboard; the officers' workspace."""
    if stage == "intake":
        return api_port if agency is None else None
    if stage == "operations":
        return dashboard_port or free_port()
    if stage == "workspace":
        return workspace_port or free_port()
    return free_port() if stage in WORK_QUEUE_STAGES else None


WORK_QUEUE_STAGES = ("appraisal", "approval", "signing", "delivery")
# Processes with no consumer group: ready once they listen.
CONSUMERLESS = ("workspace",)


def start_all(services: list[ServiceProcess], timeout: float = 300) -> None:
    """Start them all, then wait for each: `timeout` is per service, from now."""
    for service in services:
        service.start()
    deadline = time.monotonic() + timeout
    for service in services:
        service.wait_ready(max(1.0, deadline - time.monotonic()))


def stop_all(services: list[ServiceProcess]) -> None:
    """SIGTERM to every service at once (each drains and closes in order), then wait."""
    for service in services:
        if service.alive():
            service.thaw()
            service.process.send_signal(signal.SIGTERM)
    for service in services:
        service.stop()


# ---- supervision -------------------------------------------------------------------------------

class Supervised(Protocol):
    """A process the supervisor can watch: a ServiceProcess, EmbeddedPostgres, EmbeddedBroker."""

    name: str

    def alive(self) -> bool: ...
    def exit_reason(self) -> str: ...
    def start(self) -> object: ...


@dataclass(frozen=True)
class RestartPolicy:
    """Wait `initial` seconds before the first restart, twice as long after each further death,
    at most `cap`; a process that ran `stable_after` seconds starts again from `initial`."""

    initial: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    stable_after: float = 60.0

    def delay(self, consecutive_deaths: int) -> float:
        return min(self.cap, self.initial * self.factor ** max(0, consecutive_deaths - 1))


@dataclass(frozen=True)
class Happened:
    """One thing `poll()` saw or did, for the caller to print and count."""

    name: str
    what: str  # DIED, RESTARTED or RESTART_FAILED
    reason: str  # how it died ("signal SIGKILL", "exit code 1"), or why the restart failed
    restarts: int  # its restarts so far
    delay: float = 0.0  # DIED: seconds until the restart


DIED, RESTARTED, RESTART_FAILED = "died", "restarted", "restart failed"


@dataclass
class _Watch:
    child: Supervised
    restart: Callable[[], object]
    started_at: float
    deaths: int = 0  # consecutive, for the backoff
    restarts: int = 0
    due: float | None = None  # when dead: when to restart it
    reason: str = ""


class Supervisor:
    def __init__(self, policy: RestartPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or RestartPolicy()
        self._clock = clock
        self._watches: dict[str, _Watch] = {}
        self._held: set[str] = set()

    def watch(self, child: Supervised, restart: Callable[[], object] | None = None) -> None:
        """Watch a started process; `restart` replaces `child.start` as the way back."""
        self._watches[child.name] = _Watch(child, restart or child.start, self._clock())

    def restarts(self, name: str) -> int:
        return self._watches[name].restarts

    def waiting(self) -> dict[str, float]:
        """The dead processes and the seconds until their restart."""
        now = self._clock()
        return {name: max(0.0, w.due - now) for name, w in self._watches.items()
                if w.due is not None}

    def hold(self, names: list[str]) -> None:
        """Leave these alone (neither judged dead nor restarted) until `release`: the broker's
        restart stops the services and must start them itself, after the restore."""
        self._held.update(names)

    def release(self, names: list[str]) -> None:
        self._held.difference_update(names)

    def note_started(self, name: str) -> None:
        """Someone else (a broker restart) stopped and started this one: not a death."""
        watch = self._watches[name]
        watch.started_at, watch.due = self._clock(), None

    def poll(self) -> list[Happened]:
        happened = []
        for name, watch in self._watches.items():
            if name in self._held:
                continue
            now = self._clock()
            if watch.due is None:
                if watch.child.alive():
                    continue
                if now - watch.started_at >= self.policy.stable_after:
                    watch.deaths = 0
                watch.deaths += 1
                watch.reason = watch.child.exit_reason()
                delay = self.policy.delay(watch.deaths)
                watch.due = now + delay
                happened.append(Happened(name, DIED, watch.reason, watch.restarts, delay))
            elif now >= watch.due:
                try:
                    watch.restart()
                except Exception as error:  # e.g. the broker restart's restore, Postgres down
                    watch.deaths += 1
                    watch.due = self._clock() + self.policy.delay(watch.deaths)
                    happened.append(Happened(name, RESTART_FAILED,
                                             f"{type(error).__name__}: {error}", watch.restarts,
                                             watch.due - self._clock()))
                    continue
                watch.restarts += 1
                watch.started_at, watch.due = self._clock(), None
                happened.append(Happened(name, RESTARTED, watch.reason, watch.restarts))
        return happened
