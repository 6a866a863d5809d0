"""`motcua up`: Postgres, the broker, the topics, every service's migrations, then the five stage
services as five OS processes, in one terminal. Ctrl-C or SIGTERM stops them in reverse order."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

from rich.console import Console

from motcua_cli import SERVICES, STAGES
from motcua_cli.embedded import EmbeddedBroker, EmbeddedPostgres, create_database, free_port
from motcua_cli.stackfile import Stack, remove
from motcua_cli.supervisor import plan_services, start_all, stop_all
from motcua_contracts import DLQ_SUFFIX, DOSSIER_TOPIC
from motcua_runtime.kafka import create_topics
from motcua_runtime.keys import ensure_keys
from motcua_runtime.migrations import upgrade

console = Console(highlight=False)


def step(message: str) -> None:
    console.print(f"[bold cyan]•[/] {message}")


def migrate_all(database_url: str) -> None:
    for service in SERVICES:
        upgrade(f"motcua_{service}", database_url)


def keys_dir_of(data_dir: Path) -> Path:
    """Where the signing keys and their registry are: MOTCUA_KEYS_DIR, else `<data>/keys`."""
    configured = os.environ.get("MOTCUA_KEYS_DIR")
    return Path(configured) if configured else data_dir / "keys"


def ensure_dev_keys(keys_dir: Path, agencies: dict[str, list[str]]) -> list[str]:
    """A key for each stage and each agency instance that has none yet; returns the new ids."""
    instances = [(stage, None) for stage in STAGES]
    instances += [(stage, agency) for stage, codes in agencies.items() for agency in codes]
    return [record.key_id for record in ensure_keys(keys_dir, instances)]


def up(data_dir: Path, *, api_port: int, agencies: dict[str, list[str]]) -> int:
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
        step("Migrations: " + ", ".join(f"{s} at head" for s in SERVICES))

        keys_dir = keys_dir_of(data_dir)
        created = ensure_dev_keys(keys_dir, agencies)
        step(f"Keys: {keys_dir}" + (f" (created {', '.join(created)})" if created else ""))

        env = {"DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "DOSSIER_TOPIC": topic, "MOTCUA_KEYS_DIR": str(keys_dir)}
        services = plan_services(env, data_dir / "logs", api_port=api_port, agencies=agencies)
        start_all(services)
        for service in services:
            step(f"{service.name}: pid {service.pid}, metrics {service.metrics_url}")
        api_url = f"http://127.0.0.1:{api_port}"
        path = Stack(api_url=api_url, kafka_bootstrap_servers=bootstrap,
                     database_url=database_url, supervisor_pid=os.getpid(),
                     services={s.name: {"pid": s.pid, "metrics_url": s.metrics_url}
                               for s in services}).write(data_dir)
        console.print(f"\n[bold green]motcua is up.[/] API {api_url} (docs {api_url}/docs)")
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
