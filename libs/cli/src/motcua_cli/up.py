"""`motcua up`: Postgres, the broker, the topics, every service's migrations, then the five stage
services as five OS processes, in one terminal. Ctrl-C or SIGTERM stops them in reverse order."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import threading
from pathlib import Path

from rich.console import Console

from motcua_cli import SERVICES, STAGES
from motcua_cli.embedded import EmbeddedBroker, EmbeddedPostgres, create_database, free_port
from motcua_cli.pki import ensure_dev_pki, passphrase, pki_dir
from motcua_cli.stackfile import Stack, remove
from motcua_cli.supervisor import plan_services, start_all, stop_all
from motcua_contracts import DLQ_SUFFIX, DOSSIER_TOPIC
from motcua_pki import PASSPHRASE_ENV
from motcua_runtime.kafka import create_topics
from motcua_runtime.keys import ensure_keys
from motcua_runtime.migrations import upgrade

console = Console(highlight=False)


def step(message: str) -> None:
    console.print(f"[bold cyan]•[/] {message}")


def migrate_all(database_url: str) -> None:
    # The calendar overrides (schema `calendar`) live with the catalogue package they extend.
    upgrade("motcua_catalogue", database_url)
    # The local span store (schema `telemetry`), where services keep their spans when no OTLP
    # endpoint is configured.
    upgrade("motcua_telemetry", database_url)
    for service in SERVICES:
        upgrade(f"motcua_{service}", database_url)


def token_secret(data_dir: Path) -> str:
    """The secret officers' tokens are signed with, kept in the data folder (owner-only) so that
    `motcua officer token` and every service agree across restarts."""
    path = data_dir / "token-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def keys_dir_of(data_dir: Path) -> Path:
    """Where the signing keys and their registry are: MOTCUA_KEYS_DIR, else `<data>/keys`."""
    configured = os.environ.get("MOTCUA_KEYS_DIR")
    return Path(configured) if configured else data_dir / "keys"


def ensure_dev_keys(keys_dir: Path, agencies: dict[str, list[str]]) -> list[str]:
    """A key for each stage and each agency instance that has none yet; returns the new ids."""
    instances = [(stage, None) for stage in STAGES]
    instances += [(stage, agency) for stage, codes in agencies.items() for agency in codes]
    return [record.key_id for record in ensure_keys(keys_dir, instances)]


def up(data_dir: Path, *, api_port: int, agencies: dict[str, list[str]],
       officers: bool = False, dashboard_port: int = 8090) -> int:
    data_dir = data_dir.resolve()
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())

    postgres = broker = None
    services = []
    topic = os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC)
    try:
        database_url = os.environ.get("DATABASE_URL")
        if database_url:
            step("Postgres: using DATABASE_URL")
        else:
            postgres = EmbeddedPostgres(data_dir / "postgres")
            server_url = postgres.start()
            database_url = asyncio.run(create_database(server_url, "motcua"))
            step(f"Postgres: embedded, data in {postgres.data_dir}")
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if bootstrap:
            step(f"Kafka: using {bootstrap}")
        else:
            broker = EmbeddedBroker(free_port(9092), data_dir / "logs" / "broker.log")
            bootstrap = broker.start()
            step(f"Kafka: embedded Tansu broker on {bootstrap} (memory storage)")
        created = asyncio.run(create_topics(bootstrap, topic, topic + DLQ_SUFFIX))
        step(f"Topics: {topic}, {topic}{DLQ_SUFFIX}"
             + (" (created)" if created else " (already there)"))
        migrate_all(database_url)
        step("Migrations: " + ", ".join(f"{schema} at head"
                                        for schema in ("calendar", "telemetry", *SERVICES)))

        keys_dir = keys_dir_of(data_dir)
        created = ensure_dev_keys(keys_dir, agencies)
        step(f"Keys: {keys_dir}" + (f" (created {', '.join(created)})" if created else ""))

        env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "DOSSIER_TOPIC": topic, "MOTCUA_TOKEN_SECRET": token_secret(data_dir),
               "MOTCUA_OFFICERS": "1" if officers else os.environ.get("MOTCUA_OFFICERS", "0"),
               "MOTCUA_KEYS_DIR": str(keys_dir)}
        if not os.environ.get("SIGNING_CERTIFICATE_FILE"):
            pki = pki_dir(data_dir)
            issued = ensure_dev_pki(pki)
            step(f"PKI: {pki}" + (f" (issued {', '.join(issued)})" if issued else ""))
            env |= {"SIGNING_PKI_DIR": str(pki), PASSPHRASE_ENV: passphrase()}
        services = plan_services(env, data_dir / "logs", api_port=api_port, agencies=agencies,
                                 dashboard_port=free_port(dashboard_port))
        start_all(services)
        for service in services:
            http = {"intake": "", "operations": f", dashboard {service.http_url}"}.get(
                service.stage, f", work queue {service.http_url}" if service.http_url else "")
            step(f"{service.name}: pid {service.pid}, metrics {service.metrics_url}{http}")
        dashboard = next(s.http_url for s in services if s.stage == "operations")
        api_url = f"http://127.0.0.1:{api_port}"
        path = Stack(api_url=api_url, kafka_bootstrap_servers=bootstrap,
                     database_url=database_url, supervisor_pid=os.getpid(),
                     services={s.name: {"pid": s.pid, "metrics_url": s.metrics_url,
                                        "http_url": s.http_url, "stage": s.stage,
                                        "agency": s.agency}
                               for s in services}).write(data_dir)
        console.print(f"\n[bold green]motcua is up.[/] API {api_url} (docs {api_url}/docs); "
                      f"operations dashboard {dashboard}")
        console.print(f"Logs in {data_dir / 'logs'}; stack file {path}. "
                      "Try `motcua demo 20` in another terminal. Ctrl-C stops everything.")
        while not stopping.wait(1.0):
            dead = [s for s in services if not s.alive()]
            if dead:
                for service in dead:
                    console.print(f"[bold red]{service.name} exited with "
                                  f"{service.process.returncode}[/]; see {service.log_path}")
                return 1
        return 0
    finally:
        console.print("\nStopping…")
        stop_all(services)
        if services:
            step("services stopped")
        if broker:
            broker.stop()
            step("broker stopped")
        if postgres:
            postgres.stop()
            step("Postgres stopped")
        remove(data_dir)
