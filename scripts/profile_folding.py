"""CPU per event of a view that folds every event of the topic (issue 15): intake's tracking
view or the operations view, fed a generated signed log (motcua_audit.generator) in-process,
batch by batch through the shared batch consumer (motcua_runtime.consumer.BatchProcessor),
on a real Postgres (the embedded one, in a temporary folder). Prints CPU ms per event (this
process: parsing, verification, the handlers, SQLAlchemy; Postgres's own work is in its
processes) and, with --profile, the cProfile of the run.

    python scripts/profile_folding.py operations --dossiers 500 [--batch 100] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from aiokafka.structs import ConsumerRecord

from motcua_audit.generator import generate, prepare_keys
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.embedded import EmbeddedPostgres, create_database
from motcua_cli.up import migrate_all
from motcua_contracts import headers_for
from motcua_contracts.topic import UnsupportedEvent, parse_event
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.keys import DEV_PASSPHRASE, REGISTRY_FILE, KeyRegistry
from motcua_runtime.trust import Verifier

TOPIC = "fold.dossier.events"
SORT = "cumulative"


def records(keys_dir: Path, dossiers: int) -> list[ConsumerRecord]:
    signer_of = prepare_keys(keys_dir)
    out = []
    for partition, offset, key, value in generate(signer_of, dossiers):
        try:
            event = parse_event(value)
        except UnsupportedEvent:  # what the generator writes that today's contracts refuse
            continue
        headers = [(name, v) for name, v in headers_for(event)]
        out.append(ConsumerRecord(TOPIC, partition, offset, int(time.time() * 1000), 0, key,
                                  value, None, len(key), len(value), headers))
    return out


def stage_of(view: str):  # noqa: ANN201 (a Stage and its settings class)
    if view == "operations":
        from motcua_operations.app import no_signing_key
        from motcua_operations.handlers import operations_stage
        from motcua_operations.settings import OperationsSettings

        return operations_stage(), OperationsSettings, no_signing_key()
    import os

    from motcua_cli.keys import privacy_master_key_env
    from motcua_intake.handlers import Intake, intake_stage

    os.environ.update({"MOTCUA_ENV": "development", **privacy_master_key_env()})  # published key
    from motcua_intake.settings import IntakeSettings
    from motcua_runtime.keys import signer_for

    return (intake_stage(Intake(default_catalogue(), WorkingCalendar())), IntakeSettings,
            signer_for(KEYS, "intake", None, passphrase=DEV_PASSPHRASE))


KEYS = Path(tempfile.mkdtemp(prefix="fold-keys-"))


async def main(view: str, dossiers: int, batch: int, profile: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="fold-pg-"))
    postgres = EmbeddedPostgres(folder / "pg")
    server = postgres.start()
    try:
        database_url = await create_database(server, "fold")
        await asyncio.to_thread(migrate_all, database_url)
        log = records(KEYS, dossiers)
        stage, settings_class, signer = stage_of(view)
        settings = settings_class(DATABASE_URL=database_url, DOSSIER_TOPIC=TOPIC,
                                  metrics_port=0)
        engine = create_engine(database_url)
        verifier = Verifier(KeyRegistry.load(KEYS / REGISTRY_FILE))
        processor = BatchProcessor(stage, engine, settings, relay=_NoRelay(), signer=signer,
                                   verifier=verifier)
        warm = log[:batch]
        await processor.process(tuple(warm))
        profiler = cProfile.Profile() if profile else None
        started_cpu, started = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for start in range(batch, len(log), batch):
            await processor.process(tuple(log[start:start + batch]))
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        events = len(log) - batch
        print(f"{view}: {events} events in batches of {batch}: "
              f"{1000 * cpu / events:.3f} ms CPU per event in this process, "
              f"{events / wall:.0f} events/s wall")
        if profiler:
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(SORT).print_stats(40)
        await engine.dispose()
    finally:
        postgres.stop()


class _NoRelay:
    """The relay's only part a batch touches: waking it after outbox rows were written."""

    def wake(self) -> None:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("view", choices=("operations", "intake"))
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (tottime...)")
    arguments = parser.parse_args()
    SORT = arguments.sort
    asyncio.run(main(arguments.view, arguments.dossiers, arguments.batch, arguments.profile))
