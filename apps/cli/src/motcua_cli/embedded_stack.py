"""The whole embedded stack in one Python object, supervised: what `motcua up` runs, and what
`motcua chaos` and the end-to-end tests drive from Python.

    stack = EmbeddedStack(data_dir, api_port=8000, say=print)
    stack.start()                  # Postgres, migrations, broker, topics (+ restore), services;
                                   # returns when every service is ready (`ready_timeout` each)
    stack.process("approval").kill()        # or "postgres", "broker"; also stop/freeze/thaw
    stack.poll()                   # one supervision step: restart what died (call it often,
                                   # or run `stack.supervise(stop_event)` in a thread)
    stack.wait_ready(timeout=300)  # until nothing is waiting for a restart and all are ready
    stack.close()                  # everything stopped, in reverse order

A dead service is restarted after a backoff (motcua_cli.supervisor). A dead Postgres is
started again on the same data folder; services reconnect on their own. A dead broker means
the log is gone (memory storage): every service is stopped (SIGKILL: the inboxes and outboxes
make a kill safe, and clients of a dead broker do not stop cleanly), the broker started again on
its port, the topics created and the log restored from the audit archive (motcua_audit.restore),
then the services started again. The same restore runs when `start()` finds an empty broker and
a non-empty archive (a second `up` on the same data folder).

The supervisor serves its own metrics (`motcua_supervisor_restarts_total{service,reason}`,
`motcua_supervisor_restores_total`, `motcua_supervisor_process_up{service}`) on
`supervisor_metrics_url`, written to the stack file."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from motcua_cli.embedded import EmbeddedBroker, EmbeddedPostgres, create_database, free_port
from motcua_cli.stackfile import Stack, remove
from motcua_cli.supervisor import (
    DIED,
    RESTARTED,
    Happened,
    RestartPolicy,
    ServiceProcess,
    Supervised,
    Supervisor,
    plan_services,
    portal_configured,
    stop_all,
)
from motcua_contracts import DLQ_SUFFIX, DOSSIER_TOPIC
from motcua_runtime.keys import REGISTRY_FILE, load_registry
from motcua_runtime.transport import KafkaTransport, TransportSettingError

READY_TIMEOUT = float(os.environ.get("MOTCUA_READY_TIMEOUT", "300"))


def workspace_env(data_dir: Path) -> dict[str, str]:
    """The workspace's own settings on the embedded default: the issuer's private key (the
    data folder's, or MOTCUA_TOKEN_ISSUER_PRIVATE_KEY, which it inherits), and a session cookie
    sent over plain HTTP, since the stack serves http://127.0.0.1 only."""
    from motcua_cli.tokens import PRIVATE_KEY_ENV, tokens_dir
    from motcua_runtime import issuer_keys

    env = {"WORKSPACE_COOKIE_SECURE": os.environ.get("WORKSPACE_COOKIE_SECURE", "false")}
    if not os.environ.get(PRIVATE_KEY_ENV):
        env[PRIVATE_KEY_ENV] = str(tokens_dir(data_dir) / issuer_keys.PRIVATE_FILE)
    return env


def check_embedded_transport() -> None:
    """The embedded Tansu speaks PLAINTEXT only (README, "Transport security"): a service told to
    use TLS or SASL would never reach it, so refuse before starting anything."""
    protocol = KafkaTransport.from_env().protocol  # also refuses a contradictory setting
    if protocol != "PLAINTEXT":
        raise TransportSettingError(
            f"KAFKA_SECURITY_PROTOCOL={protocol}, but the embedded broker speaks PLAINTEXT only: "
            "unset it, or set KAFKA_BOOTSTRAP_SERVERS to a broker with TLS or SASL")
_WAIT_LINE_EVERY = 5.0  # seconds between "waiting for ..." lines of one service


class EmbeddedStack:
    def __init__(self, data_dir: Path, *, api_port: int,
                 agencies: dict[str, list[str]] | None = None, officers: bool = False,
                 dashboard_port: int | None = None, workspace_port: int | None = None,
                 ready_timeout: float = READY_TIMEOUT, policy: RestartPolicy | None = None,
                 services: tuple[str, ...] | None = None,
                 say: Callable[[str], None] = lambda line: None) -> None:
        self.data_dir = data_dir.resolve()
        self.api_port = api_port
        self.agencies = agencies or {}
        self.officers = officers
        self.dashboard_port = dashboard_port
        self.workspace_port = workspace_port
        self.ready_timeout = ready_timeout
        self.only = services
        self.say = say
        self.topic = os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC)
        self.supervisor = Supervisor(policy)
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.services: list[ServiceProcess] = []
        self.database_url = ""
        self.bootstrap_servers = ""
        self.restores: list[object] = []  # motcua_audit.restore.Restored, one per restore
        self._registry = CollectorRegistry()
        self._restarts = Counter("motcua_supervisor_restarts", "Processes restarted by "
                                 "`motcua up`, by why they stopped.", ["service", "reason"],
                                 registry=self._registry)
        self._restores = Counter("motcua_supervisor_restores", "Logs restored from the audit "
                                 "archive into an empty broker.", registry=self._registry)
        self._up = Gauge("motcua_supervisor_process_up", "1 while the process runs.",
                         ["service"], registry=self._registry)
        self._metrics_server = None
        self.supervisor_metrics_url: str | None = None
        self._lock = threading.RLock()  # poll() and a chaos thread's kills

    # ---- starting -----------------------------------------------------------------------------

    def start(self) -> None:
        from motcua_cli import SERVICES
        from motcua_cli.db_roles import ensure_roles, require_passwords
        from motcua_cli.keys import own_key_env, passphrase_env, privacy_master_key_env
        from motcua_cli.pki import ensure_dev_pki, passphrase, pki_dir
        from motcua_cli.tokens import ensure_issuer
        from motcua_cli.up import ensure_dev_keys, keys_dir_of, migrate_all
        from motcua_pki import PASSPHRASE_ENV
        from motcua_runtime.roles import login_role

        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            check_embedded_transport()
        self._serve_metrics()
        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            self.say("Postgres: using DATABASE_URL")
        else:
            self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
            server_url = self.postgres.start()
            # Service roles log in with passwords; the superuser only as this OS user (db_roles).
            asyncio.run(require_passwords(self.postgres.data_dir, server_url))
            database_url = asyncio.run(create_database(server_url, "motcua"))
            self.say(f"Postgres: embedded, data in {self.postgres.data_dir}")
        self.database_url = database_url
        migrate_all(database_url)
        self.say("Migrations: calendar, telemetry and every service's schema at head")
        service_urls = ensure_roles(database_url, self.data_dir)
        self.say("Database roles: " + ", ".join(login_role(s) for s in SERVICES))
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap:
            self.bootstrap_servers = bootstrap
            self.say(f"Kafka: using {bootstrap}")
            self._create_topics(restore=False)
        else:
            self.broker = EmbeddedBroker(free_port(9092), self.data_dir / "logs" / "broker.log")
            self.bootstrap_servers = self.broker.start()
            self.say(f"Kafka: embedded Tansu broker on {self.bootstrap_servers} (memory storage)")
            self._create_topics(restore=True)

        keys_dir = keys_dir_of(self.data_dir)
        created = ensure_dev_keys(keys_dir, self.agencies)
        self.say(f"Keys: {keys_dir}" + (f" (created {', '.join(created)})" if created else ""))
        env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
               "DOSSIER_TOPIC": self.topic,
               # The dossiers' files (intake's store): under the data folder, no server needed.
               "FILES_STORE": "filesystem", "FILES_DIR": str(self.data_dir / "files"),
               # The embedded default is development: the PKI's published passphrase is fine
               # here. Officers' tokens: the data folder's issuer key (`motcua tokens`).
               "MOTCUA_ENV": "development",
               "MOTCUA_TOKEN_ISSUER_PUBLIC_KEY": str(ensure_issuer(self.data_dir)),
               "MOTCUA_OFFICERS": "1" if self.officers else os.environ.get("MOTCUA_OFFICERS", "0"),
               # The public trust list; each service's own private key is added below.
               "MOTCUA_KEY_REGISTRY": str(keys_dir / REGISTRY_FILE), **passphrase_env(),
               # The master key of personal data's key store: the published development one
               # unless one is given (motcua_privacy.master).
               **privacy_master_key_env()}
        if not os.environ.get("SIGNING_CERTIFICATE_FILE"):
            pki = pki_dir(self.data_dir)
            issued = ensure_dev_pki(pki)
            self.say(f"PKI: {pki}" + (f" (issued {', '.join(issued)})" if issued else ""))
            env |= {"SIGNING_PKI_DIR": str(pki), PASSPHRASE_ENV: passphrase()}
        self.services = plan_services(
            env, self.data_dir / "logs", api_port=self.api_port, agencies=self.agencies,
            dashboard_port=free_port(self.dashboard_port) if self.dashboard_port else None,
            workspace_port=free_port(self.workspace_port) if self.workspace_port else None,
            services=self.only)
        if not portal_configured(env):
            self.say("National portal: no PORTAL_URL, so its sync is not started "
                     "(docs/portal.md)")
        registry = load_registry(keys_dir)
        for service in self.services:
            # Each process logs in as its own role, never the admin; the supervisor's restore
            # reads every outbox and writes audit.restored, so it uses the admin's URL.
            service.env["DATABASE_URL"] = service_urls[service.stage]
            # And is given its own private key file alone, as production mounts it (the audit
            # archive and the operations view sign nothing and get none). A restart keeps this
            # key: after `motcua keys rotate`, restart `motcua up` within the grace period.
            service.env |= own_key_env(keys_dir, registry, service.stage, service.agency)
            if service.stage == "workspace":
                # The embedded identity provider: it mints the signed-in officers' tokens with
                # the issuer's private key, which no other process is given.
                service.env |= workspace_env(self.data_dir)
            if service.stage == "operations":
                # The wallboard's sign-in cookie over plain HTTP, as the workspace's.
                service.env["OPERATIONS_COOKIE_SECURE"] = os.environ.get(
                    "OPERATIONS_COOKIE_SECURE", "false")
            service.start()
            self.supervisor.watch(service)
        if self.postgres:
            self.supervisor.watch(self.postgres, restart=self._restart_postgres)
        if self.broker:
            self.supervisor.watch(self.broker, restart=self._restart_broker)
        self.wait_ready()
        self.write_stack_file()

    def _create_topics(self, *, restore: bool) -> None:
        from motcua_runtime.kafka import create_topics

        dlq = self.topic + DLQ_SUFFIX
        created = asyncio.run(create_topics(self.bootstrap_servers, self.topic, dlq))
        self.say(f"Topics: {self.topic}, {dlq}" + (" (created)" if created else " (already there)"))
        if restore and self.topic in created:
            from motcua_audit.restore import restore as restore_log

            restored = asyncio.run(restore_log(self.database_url, self.bootstrap_servers,
                                               [self.topic, dlq]))
            self.restores.append(restored)
            if restored.archived or restored.resent:
                self._restores.inc()
                self.say(f"Restored the log from the audit archive: {restored.describe()} "
                         f"in {restored.seconds:.1f}s")

    def _serve_metrics(self) -> None:
        if self._metrics_server is None:
            port = free_port()
            self._metrics_server, _ = start_http_server(port, addr="127.0.0.1",
                                                        registry=self._registry)
            self.supervisor_metrics_url = f"http://127.0.0.1:{port}/metrics"

    # ---- restarts -----------------------------------------------------------------------------

    def _restart_postgres(self) -> None:
        assert self.postgres is not None
        self.postgres.start()

    def _restart_broker(self) -> None:
        """The broker lost its memory: stop every service, start it again, restore, start them."""
        assert self.broker is not None
        names = [service.name for service in self.services]
        # Held until the restore is done (a failed attempt leaves them held for the next one):
        # a service started earlier would publish its new outbox rows ahead of the history.
        self.supervisor.hold(names)
        for service in self.services:
            service.kill()
        self.broker.kill()  # a half-done earlier attempt may have left one running
        self.broker.start()
        self._create_topics(restore=True)
        for service in self.services:
            service.start()
            self.supervisor.note_started(service.name)
            self._restarts.labels(service.name, "broker restart").inc()
        self.supervisor.release(names)

    # ---- supervision --------------------------------------------------------------------------

    def processes(self) -> dict[str, Supervised]:
        """Every process by name: each service, "postgres", "broker" (the embedded ones)."""
        named: dict[str, Supervised] = {s.name: s for s in self.services}
        if self.postgres:
            named["postgres"] = self.postgres
        if self.broker:
            named["broker"] = self.broker
        return named

    def process(self, name: str) -> Supervised:
        return self.processes()[name]

    def poll(self) -> list[Happened]:
        with self._lock:
            happened = self.supervisor.poll()
            if any(e.name == "broker" and e.what == DIED for e in happened):
                self.supervisor.hold([s.name for s in self.services])  # see _restart_broker
            for event in happened:
                if event.what == DIED:
                    self.say(f"{event.name} died ({event.reason}); restart in "
                             f"{event.delay:.1f}s (restarts so far: {event.restarts})")
                elif event.what == RESTARTED:
                    self._restarts.labels(event.name, event.reason).inc()
                    self.say(f"{event.name} restarted (#{event.restarts}) after {event.reason}, "
                             f"pid {self.process(event.name).pid}")  # type: ignore[attr-defined]
                else:
                    self.say(f"{event.name}: restart failed ({event.reason}); next try in "
                             f"{event.delay:.1f}s")
            for name, child in self.processes().items():
                self._up.labels(name).set(1 if child.alive() else 0)
            if any(event.what == RESTARTED for event in happened):
                self.write_stack_file()
            return happened

    def supervise(self, stop: threading.Event, interval: float = 0.2) -> None:
        """poll() until `stop` is set: `motcua up`'s loop, or a thread beside a chaos run."""
        while not stop.wait(interval):
            self.poll()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Until no process waits for a restart and every service is ready, supervising all the
        while. The limit is per service, counted from its latest start."""
        limit = self.ready_timeout if timeout is None else timeout
        since: dict[str, float] = {}
        said: dict[str, float] = {}
        while True:
            self.poll()
            now = time.monotonic()
            pending = {}
            for service in self.services:
                missing = service.readiness()
                if missing is None:
                    since.pop(service.name, None)
                    continue
                pending[service.name] = missing
                started = since.setdefault(service.name, now)
                if now - said.get(service.name, started) >= _WAIT_LINE_EVERY:
                    said[service.name] = now
                    self.say(f"waiting for {service.name} ({missing}) … {now - started:.0f}s")
                if now - started > limit:
                    raise TimeoutError(f"{service.name} not ready after {limit:.0f}s ({missing});"
                                       f" see {service.log_path}")
            if not pending and not self.supervisor.waiting():
                return
            time.sleep(0.2)

    # ---- the stack file and stopping ----------------------------------------------------------

    def write_stack_file(self) -> Path:
        extra = {name: {"pid": child.pid} for name, child in self.processes().items()  # type: ignore[attr-defined]
                 if name in ("postgres", "broker")}
        return Stack(api_url=f"http://127.0.0.1:{self.api_port}",
                     kafka_bootstrap_servers=self.bootstrap_servers,
                     database_url=self.database_url, supervisor_pid=os.getpid(),
                     supervisor_metrics_url=self.supervisor_metrics_url,
                     services={s.name: {"pid": s.pid, "metrics_url": s.metrics_url,
                                        "http_url": s.http_url, "stage": s.stage,
                                        "agency": s.agency,
                                        "restarts": self.supervisor.restarts(s.name)}
                               for s in self.services},
                     infrastructure=extra).write(self.data_dir)

    def close(self) -> None:
        with self._lock:
            stop_all(self.services)
            if self.services:
                self.say("services stopped")
            if self.broker:
                self.broker.thaw()
                self.broker.stop()
                self.say("broker stopped")
            if self.postgres:
                self.postgres.thaw()
                self.postgres.stop()
                self.say("Postgres stopped")
            if self._metrics_server is not None:
                self._metrics_server.shutdown()
                self._metrics_server = None
            remove(self.data_dir)
