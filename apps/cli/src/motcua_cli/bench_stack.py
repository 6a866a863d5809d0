"""The stack `motcua bench` runs on when none is running (no `motcua up`, no
KAFKA_BOOTSTRAP_SERVERS): the embedded one, in a throw-away data folder, with automatic
policies, real signing and tracing as configured, and the instances `--instances` asks for.

A stage's extra instances are per-agency instances (the only way the stack splits a stage's
work today: `motcua up --instance STAGE:AGENCY`): K instances of signing are the default one
and one each for the K-1 agencies with the most procedures in the catalogue, so the split
follows the catalogue, not an even share of the dossiers."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from motcua_catalogue.catalogue import default_catalogue
from motcua_cli import STAGES
from motcua_cli.embedded import free_port
from motcua_cli.stackfile import Stack


def parse_instances(value: str) -> dict[str, int]:
    """"signing=2,appraisal=3" -> {"signing": 2, "appraisal": 3}."""
    instances: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        stage, _, number = part.partition("=")
        if stage not in STAGES or not number.isdigit() or int(number) < 1:
            raise SystemExit(f"--instances {part!r}: expected STAGE=K with K at least 1 and "
                             f"STAGE one of {', '.join(STAGES)}")
        instances[stage] = int(number)
    return instances


def agency_instances(instances: dict[str, int]) -> dict[str, list[str]]:
    """The agencies given their own instance of each stage, busiest first."""
    busiest = [agency for agency, _ in Counter(
        p.agency for p in default_catalogue().procedures.values()).most_common()]
    chosen: dict[str, list[str]] = {}
    for stage, number in instances.items():
        if number - 1 > len(busiest):
            raise SystemExit(f"--instances {stage}={number}: the catalogue has "
                             f"{len(busiest)} agencies, so at most {len(busiest) + 1} instances")
        if number > 1:
            chosen[stage] = busiest[:number - 1]
    return chosen


@contextmanager
def own_stack(agencies: dict[str, list[str]]) -> Iterator[tuple[Stack, Path]]:
    """Start the embedded stack in a new data folder; stop it and remove the folder after."""
    from motcua_cli.embedded_stack import EmbeddedStack

    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    embedded = EmbeddedStack(data_dir, api_port=free_port(), agencies=agencies,
                             say=lambda line: print(f"bench stack: {line}", file=sys.stderr))
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout is the figures' (`--json`)
            embedded.start()
        infrastructure = {name: {"pid": process.pid}  # type: ignore[attr-defined]
                          for name, process in embedded.processes().items()
                          if name in ("postgres", "broker")}
        yield Stack(api_url=f"http://127.0.0.1:{embedded.api_port}",
                    kafka_bootstrap_servers=embedded.bootstrap_servers,
                    database_url=embedded.database_url,
                    services={s.name: {"pid": s.pid, "stage": s.stage, "agency": s.agency}
                              for s in embedded.services},
                    infrastructure=infrastructure), data_dir
    finally:
        embedded.close()
        shutil.rmtree(data_dir, ignore_errors=True)
