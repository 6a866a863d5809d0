"""CPU per event of a view that folds every event of the topic (issue 15): intake's tracking
view or the operations view, fed a generated signed log (motcua_audit.generator) in-process,
batch by batch through the shared batch consumer (motcua_runtime.consumer.BatchProcessor),
on a real Postgres (the embedded one, in a temporary folder). Prints CPU ms per event (this
process: parsing, verification, the handlers, SQLAlchemy; Postgres's own work is in its
processes) and, with --profile, the cProfile of the run.

`skip` measures the other side: what a stage pays for an event it does not act on. Approval's
real stage is fed, in the log's order, only the records it skips by their headers (every type
but its own two and the roots, which every consumer reads in full); its chain book knows the
hashes of every other record beforehand, as it would have learned them from the records it
read, so each skipped record is followed along its dossier's chain and its hash written, as in
a deployment.

    python scripts/profile_folding.py operations --dossiers 500 [--batch 100] [--profile]
    python scripts/profile_folding.py skip --dossiers 500
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import inspect
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_audit.generator import generate, prepare_keys
from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.embedded import EmbeddedPostgres, create_database
from motcua_cli.up import migrate_all
from motcua_contracts import Headers, headers_for
from motcua_contracts.topic import UnsupportedEvent, parse_event
from motcua_runtime.chains import ROOT_TYPES
from motcua_runtime.consumer import BatchProcessor
from motcua_runtime.db import create_engine
from motcua_runtime.keys import DEV_PASSPHRASE, REGISTRY_FILE, KeyRegistry
from motcua_runtime.trust import Verifier

TOPIC = "fold.dossier.events"
SORT = "cumulative"


def records(keys_dir: Path, dossiers: int, topic: str = TOPIC) -> list[ConsumerRecord]:
    """The generator's signed log of `dossiers` dossiers as records of `topic`, with the
    headers a producer sets (scripts/profile_memory.py reads the same log)."""
    signer_of = prepare_keys(keys_dir)
    out = []
    for partition, offset, key, value in generate(signer_of, dossiers):
        try:
            event = parse_event(value)
        except UnsupportedEvent:  # what the generator writes that today's contracts refuse
            continue
        headers = [(name, v) for name, v in headers_for(event)]
        out.append(ConsumerRecord(topic, partition, offset, int(time.time() * 1000), 0, key,
                                  value, None, len(key), len(value), headers))
    return out


def stage_of(view: str):  # noqa: ANN201 (a Stage and its settings class)
    if view == "skip":
        from motcua_approval.handlers import Approval, approval_stage
        from motcua_approval.settings import ApprovalSettings
        from motcua_runtime.keys import signer_for

        return (approval_stage(Approval(default_catalogue(), WorkingCalendar())),
                ApprovalSettings, signer_for(KEYS, "approval", None, passphrase=DEV_PASSPHRASE))
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
        processor, engine = batch_processor(stage, settings_class, signer, database_url,
                                            KEYS, TOPIC)
        if view == "skip":
            log = await skipped_only(log, processor, engine)
        warm = log[:batch]
        # The generated log is this script's, not the consumer's: kept out of the collector's
        # passes, which would otherwise walk its records for every batch's garbage (and more
        # often for a consumer that keeps what it read a while, as a deferred batch).
        gc.collect()
        gc.freeze()
        await processor.process(tuple(warm))
        # CPU time, as the figure: the wait for Postgres is not this process's cost.
        profiler = cProfile.Profile(time.process_time) if profile else None
        started_cpu, started = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        # As the subscriber calls it: a batch the stage acts on none of may be deferred
        # (motcua_runtime.consumer, "Deferred links"); what is still deferred at the end is
        # stored within the measure.
        defer = ({"may_defer": True}
                 if "may_defer" in inspect.signature(processor.process).parameters else {})
        for start in range(batch, len(log), batch):
            await processor.process(tuple(log[start:start + batch]), **defer)
        if defer:
            await processor.process(())
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        events = len(log) - batch
        print(f"{view}: {events} events in batches of {batch}: "
              f"{1000 * cpu / events:.3f} ms CPU per event in this process, "
              f"{events / wall:.0f} events/s wall")
        if view == "skip":
            await learned(processor, engine, len(log))
        if profiler:
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(SORT).print_stats(40)
        await engine.dispose()
    finally:
        postgres.stop()


async def skipped_only(log: list[ConsumerRecord], processor: BatchProcessor,
                       engine: AsyncEngine) -> list[ConsumerRecord]:
    """The records the stage skips by their headers, in order, with the hashes of all the others
    (the roots, and what it acts on) already in its chain book."""
    skipped, known = [], []
    for record in log:
        headers = dict((name, value.decode()) for name, value in record.headers)
        if processor.read(record) is None and headers[Headers.TYPE] not in ROOT_TYPES:
            skipped.append(record)
        else:
            known.append({"dossier_id": uuid.UUID(headers[Headers.DOSSIER_ID]),
                          "hash": bytes.fromhex(headers[Headers.EVENT_HASH])})
    chains = processor.stage.chain_links
    assert chains is not None
    async with engine.begin() as connection:
        await connection.execute(insert(chains), known)
    print(f"skip: {len(skipped)} of {len(log)} records skipped by approval's consumer")
    return skipped


async def learned(processor: BatchProcessor, engine: AsyncEngine, skipped: int) -> None:
    """Check that the skipped records were followed: each one's hash is now in the chain book."""
    chains = processor.stage.chain_links
    assert chains is not None
    async with engine.connect() as connection:
        rows = (await connection.execute(select(func.count()).select_from(chains))).scalar_one()
    print(f"skip: the chain book holds {rows} hashes, {skipped} of them the skipped records'")


def batch_processor(stage, settings_class, signer, database_url: str, keys_dir: Path,  # noqa: ANN001
                    topic: str) -> tuple[BatchProcessor, AsyncEngine]:
    """The shared batch consumer on `stage`, as the service's composition root builds it,
    trusting the generated log's keys, with no outbox relay (scripts/profile_memory.py too)."""
    settings = settings_class(DATABASE_URL=database_url, DOSSIER_TOPIC=topic, metrics_port=0)
    engine = create_engine(database_url)
    verifier = Verifier(KeyRegistry.load(keys_dir / REGISTRY_FILE))
    processor = BatchProcessor(stage, engine, settings, relay=_NoRelay(), signer=signer,
                               verifier=verifier)
    return processor, engine


class _NoRelay:
    """The relay's only part a batch touches: waking it after outbox rows were written."""

    def wake(self) -> None:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("view", choices=("operations", "intake", "skip"))
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (tottime...)")
    arguments = parser.parse_args()
    SORT = arguments.sort
    asyncio.run(main(arguments.view, arguments.dossiers, arguments.batch, arguments.profile))
