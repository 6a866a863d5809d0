"""Starting the stage services as separate OS processes and stopping them in order. `motcua up`
and the end-to-end tests both use it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from motcua_cli.embedded import die_with_parent, free_port, wait_for_port


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

    def wait_ready(self, timeout: float = 60) -> None:
        """Ready means consuming: its consumer holds partitions (and intake's API listens)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        wait_for_port(self.metrics_port, timeout, self.process)
        if self.http_port:
            wait_for_port(self.http_port, timeout, self.process)
        while self.assigned_partitions() == 0:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} has not joined its consumer group after "
                                   f"{timeout:.0f}s; see {self.log_path}")
            time.sleep(0.2)

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

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def plan_services(env: dict[str, str], log_dir: Path, *, api_port: int,
                  agencies: dict[str, list[str]] | None = None,
                  dashboard_port: int | None = None,
                  services: tuple[str, ...] | None = None) -> list[ServiceProcess]:
    """One process per stage, intake first (it serves the citizens' API on `api_port`); every
    other instance serves its officers' work queue on a port of its own, and the operations
    view its dashboard on `dashboard_port` (default: a free one), scraping every process's
    metrics. `agencies` adds per-agency instances of a stage, e.g. {"appraisal": ["STP"]};
    `services` picks fewer than all of SERVICES."""
    from motcua_cli import SERVICES

    planned = []
    for stage in services or SERVICES:
        own_instances = (agencies or {}).get(stage, [])
        for agency in [None, *own_instances]:
            name = stage if agency is None else f"{stage}.{agency}"
            stage_env = dict(env)
            if agency is None and own_instances:
                stage_env[f"{stage.upper()}_EXCEPT_AGENCIES"] = ",".join(own_instances)
            planned.append(ServiceProcess(
                name=name, stage=stage, agency=agency, metrics_port=free_port(),
                log_path=log_dir / f"{name}.log", env=stage_env,
                http_port=_http_port(stage, agency, api_port, dashboard_port)))
    # Intake fetches delivered results from signing's internal endpoint (any instance: they
    # share signing's schema). SMTP_* and NOTIFY_FROM reach intake from the environment.
    signing = next((s for s in planned if s.stage == "signing" and s.agency is None), None)
    targets = ",".join(f"{s.name}={s.metrics_url}" for s in planned)
    for service in planned:
        if service.stage == "intake" and signing is not None:
            service.env.setdefault("INTAKE_SIGNING_URL", signing.http_url or "")
        if service.stage == "operations":
            service.env["OPERATIONS_METRICS_TARGETS"] = targets
    return planned


def _http_port(stage: str, agency: str | None, api_port: int,
               dashboard_port: int | None) -> int | None:
    """Intake's citizens' API on the given port; a work queue for each officers' stage; the
    operations dashboard."""
    if stage == "intake":
        return api_port if agency is None else None
    if stage == "operations":
        return dashboard_port or free_port()
    return free_port() if stage in WORK_QUEUE_STAGES else None


WORK_QUEUE_STAGES = ("appraisal", "approval", "signing", "delivery")


def start_all(services: list[ServiceProcess], timeout: float = 60) -> None:
    for service in services:
        service.start()
    deadline = time.monotonic() + timeout
    for service in services:
        service.wait_ready(max(1.0, deadline - time.monotonic()))


def stop_all(services: list[ServiceProcess]) -> None:
    """SIGTERM to every service at once (each drains and closes in order), then wait."""
    for service in services:
        if service.alive():
            service.process.send_signal(signal.SIGTERM)
    for service in services:
        service.stop()
