"""`motcua up`: Postgres, every service's migrations, the broker and its topics (the log restored
from the audit archive when the broker is new), then every service as its own OS process, in one
terminal, supervised: what dies is restarted. Ctrl-C or SIGTERM stops them in reverse order."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from rich.console import Console

from motcua_cli import IMPORT_PRODUCER, SERVICES, STAGES
from motcua_cli.embedded_stack import READY_TIMEOUT, EmbeddedStack
from motcua_cli.keys import key_passphrase
from motcua_runtime.keys import ensure_keys, own_instances
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
    # The key store of personal data (schema `privacy`): the dossiers' wrapped data keys.
    upgrade("motcua_privacy", database_url)
    for service in SERVICES:
        upgrade(f"motcua_{service}", database_url)


def keys_dir_of(data_dir: Path) -> Path:
    """Where the signing keys and their registry are: MOTCUA_KEYS_DIR, else `<data>/keys`."""
    configured = os.environ.get("MOTCUA_KEYS_DIR")
    return Path(configured) if configured else data_dir / "keys"


def ensure_dev_keys(keys_dir: Path, agencies: dict[str, list[str]]) -> list[str]:
    """A key for each stage and each agency instance that has none yet, each shared key scoped
    to every agency but those with their own instance (a shared key of another scope is
    replaced), and the import key of `motcua import-legacy`; returns the new ids."""
    instances = [(stage, None) for stage in STAGES] + [(IMPORT_PRODUCER, None)]
    instances += [(stage, agency) for stage, codes in agencies.items() for agency in codes]
    created = ensure_keys(keys_dir, instances, exclusions=own_instances(instances),
                          passphrase=key_passphrase())
    return [record.key_id for record in created]


def up(data_dir: Path, *, api_port: int, agencies: dict[str, list[str]],
       officers: bool = False, dashboard_port: int = 8090, workspace_port: int = 8100,
       ready_timeout: float = READY_TIMEOUT) -> int:
    """Run the supervised stack (motcua_cli.embedded_stack) until Ctrl-C or SIGTERM: a process
    that dies is restarted, never the whole stack stopped."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    stack = EmbeddedStack(data_dir, api_port=api_port, agencies=agencies, officers=officers,
                          dashboard_port=dashboard_port, workspace_port=workspace_port,
                          ready_timeout=ready_timeout, say=step)
    try:
        stack.start()
        for service in stack.services:
            http = {"intake": "", "operations": f", dashboard {service.http_url}",
                    "workspace": f", officers' workspace {service.http_url}"}.get(
                service.stage, f", work queue {service.http_url}" if service.http_url else "")
            step(f"{service.name}: pid {service.pid}, metrics {service.metrics_url}{http}")
        dashboard = next((s.http_url for s in stack.services if s.stage == "operations"), None)
        workspace = next((s.http_url for s in stack.services if s.stage == "workspace"), None)
        api_url = f"http://127.0.0.1:{api_port}"
        console.print(f"\n[bold green]motcua is up.[/] API {api_url} (docs {api_url}/docs); "
                      f"operations dashboard {dashboard}; officers' workspace {workspace} "
                      "(`motcua officer add` makes an account)")
        console.print(f"Logs in {stack.data_dir / 'logs'}; stack file "
                      f"{stack.data_dir / 'stack.json'}; supervisor metrics "
                      f"{stack.supervisor_metrics_url}. Try `motcua demo 20` in another "
                      "terminal. Ctrl-C stops everything.")
        stack.supervise(stopping)
        return 0
    finally:
        console.print("\nStopping…")
        stack.close()
