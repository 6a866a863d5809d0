"""The stack file: what `motcua up` is running, written in its data folder so that the other
commands find the stack without flags. The environment (MOTCUA_API_URL,
KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL) overrides it, for a stack started some other way."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

FILE_NAME = "stack.json"


@dataclass
class Stack:
    api_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    database_url: str | None = None
    services: dict[str, dict[str, object]] = field(default_factory=dict)
    supervisor_pid: int | None = None
    supervisor_metrics_url: str | None = None  # the supervisor's restarts and restores
    infrastructure: dict[str, dict[str, object]] = field(default_factory=dict)  # embedded pids

    def write(self, data_dir: Path) -> Path:
        path = data_dir / FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2))
        temporary.replace(path)
        return path

    def public(self) -> dict[str, object]:
        return {key: value for key, value in asdict(self).items() if key != "supervisor_pid"}


def read(data_dir: Path) -> Stack:
    """The running stack, from the environment first, then the stack file of a live `up`."""
    stack = Stack()
    path = data_dir / FILE_NAME
    if path.exists():
        saved = Stack(**json.loads(path.read_text()))
        if saved.supervisor_pid and psutil.pid_exists(saved.supervisor_pid):
            stack = saved
    stack.api_url = os.environ.get("MOTCUA_API_URL", stack.api_url)
    stack.kafka_bootstrap_servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS",
                                                   stack.kafka_bootstrap_servers)
    stack.database_url = os.environ.get("DATABASE_URL", stack.database_url)
    return stack


def remove(data_dir: Path) -> None:
    (data_dir / FILE_NAME).unlink(missing_ok=True)
