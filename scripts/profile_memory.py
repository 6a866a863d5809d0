"""What grows with the number of dossiers in a service's consumer (issue 15: every process under
200 MB RSS after 38,000 dossiers). A stage's real consumer (motcua_runtime.consumer's
BatchProcessor, its handlers, its tables on the embedded Postgres in a temporary folder) is fed a
generated signed log (motcua_audit.generator) batch by batch, as in scripts/profile_folding.py;
every `--every` dossiers it samples this process's RSS and tracemalloc's traced memory, and at
the end prints the growth per 1,000 dossiers (a least-squares slope over the samples after the
first, which is the warm-up: imports, caches of constant things, the pool's connections) and
the places whose traced memory grew most between the first and the last sample.

    python scripts/profile_memory.py operations --dossiers 3000 [--every 500] [--batch 100]
    python scripts/profile_memory.py intake|delivery ...
    python scripts/profile_memory.py operations --dossiers 3000 --no-trace   # RSS only
    python scripts/profile_memory.py forms --dossiers 20000 --every 2000 --no-trace

Appraisal, approval and signing are not offered: the generated log's answers (fees paid, a
consultation's answer, approval's return) answer the generator's requests, not the stage's own,
so the stage rightly dead-letters them and parks the dossier, and signing opens the applicant's
name with a data key that intake's key store would hold. They are measured on the stack
(docs/performance.md, "Memory").

`forms` draws form 01 (intake's receipt) for N distinct dossiers (motcua_documents.bench's
samples), without Postgres: the documents' own caches (paragraphs, QR code rows).

The log is generated before the first sample and kept out of the figures (its records are
frozen out of the collector's passes, and tracemalloc starts after it). tracemalloc slows the
consumer down about threefold and adds its own bookkeeping to RSS: `--no-trace` gives RSS alone.
Postgres's own RSS is not this process's: docs/performance.md ("Memory") says how it is read.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import os
import resource
import sys
import tempfile
import tracemalloc
from pathlib import Path

import psutil
from aiokafka.structs import ConsumerRecord

# The same generated log as the folding profile (this folder is on the path of a script run).
from profile_folding import batch_processor
from profile_folding import records as folding_records

from motcua_catalogue import WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.embedded import EmbeddedPostgres, create_database
from motcua_cli.up import migrate_all
from motcua_contracts import Headers
from motcua_runtime.keys import DEV_PASSPHRASE, signer_for

TOPIC = "memory.dossier.events"
SERVICES = ("forms", "intake", "operations", "delivery")
KEYS = Path(tempfile.mkdtemp(prefix="memory-keys-"))


def records(dossiers: int) -> list[ConsumerRecord]:
    return folding_records(KEYS, dossiers, TOPIC)


def stage_of(service: str):  # noqa: ANN201 (a Stage, its settings class, its signer)
    """The service's stage as its composition root wires it, with a fixed working calendar."""
    from motcua_cli.keys import privacy_master_key_env

    os.environ.update({"MOTCUA_ENV": "development", **privacy_master_key_env()})  # published key
    catalogue, calendar = default_catalogue(), WorkingCalendar()
    if service == "operations":
        from motcua_operations.app import no_signing_key
        from motcua_operations.handlers import operations_stage
        from motcua_operations.settings import OperationsSettings

        return operations_stage(), OperationsSettings, no_signing_key()
    signer = signer_for(KEYS, service, None, passphrase=DEV_PASSPHRASE)
    if service == "intake":
        from motcua_intake.handlers import Intake, intake_stage
        from motcua_intake.settings import IntakeSettings

        return intake_stage(Intake(catalogue, calendar)), IntakeSettings, signer
    if service == "delivery":
        from motcua_delivery.handlers import Delivery, delivery_stage
        from motcua_delivery.settings import DeliverySettings

        return delivery_stage(Delivery(catalogue)), DeliverySettings, signer
    raise ValueError(f"no consumer {service!r} here")


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def slope_per_thousand(points: list[tuple[int, float]]) -> float:
    """MB per 1,000 dossiers: the least-squares slope of (dossiers, MB)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return 1000 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def forms(dossiers: int, every: int) -> None:
    from motcua_documents import forms as drawn
    from motcua_documents.bench import sample

    _, draw = drawn.FORMS["01"]
    samples: list[tuple[int, float]] = []
    for n in range(dossiers):
        draw(sample("01", n))
        if (n + 1) % every == 0:
            gc.collect()
            samples.append((n + 1, rss_mb()))
            print(f"{n + 1:>9} forms 01 {samples[-1][1]:>8.1f} MB RSS", flush=True)
    print(f"forms: RSS per 1,000 forms after the first sample "
          f"{slope_per_thousand(samples[1:]):+.2f} MB")


async def main(service: str, dossiers: int, every: int, batch: int, trace: bool,
               top: int) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="memory-pg-"))
    postgres = EmbeddedPostgres(scratch / "pg")
    server = postgres.start()
    try:
        database_url = await create_database(server, "memory")
        await asyncio.to_thread(migrate_all, database_url)
        log = records(dossiers)
        stage, settings_class, signer = stage_of(service)
        processor, engine = batch_processor(stage, settings_class, signer, database_url,
                                            KEYS, TOPIC)
        defer = ({"may_defer": True}
                 if "may_defer" in inspect.signature(processor.process).parameters else {})
        gc.collect()
        gc.freeze()  # the generated log is the script's, not the consumer's
        if trace:
            tracemalloc.start(8)
        seen: set[bytes] = set()  # the headers' own bytes: no object of the script's per dossier
        samples: list[tuple[int, float, float]] = []  # dossiers, RSS MB, traced MB
        first = None
        next_sample = every
        print(f"{service}: {len(log)} records of {dossiers} dossiers, batches of {batch}, "
              f"a sample every {every} dossiers")
        print(f"{'dossiers':>9} {'RSS MB':>8} {'traced MB':>10} {'max RSS MB':>11}")
        for start in range(0, len(log), batch):
            chunk = log[start:start + batch]
            await processor.process(tuple(chunk), **defer)
            for record in chunk:
                for name, value in record.headers:
                    if name == Headers.DOSSIER_ID:
                        seen.add(value)
                        break
            if len(seen) >= next_sample or start + batch >= len(log):
                if defer:
                    await processor.process(())  # what was kept is stored, as after 1 s
                gc.collect()
                traced = tracemalloc.get_traced_memory()[0] / 2**20 if trace else 0.0
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                samples.append((len(seen), rss_mb(), traced))
                print(f"{len(seen):>9} {samples[-1][1]:>8.1f} {traced:>10.1f} {peak:>11.1f}",
                      flush=True)
                if trace and first is None:
                    first = tracemalloc.take_snapshot()
                next_sample = len(seen) + every
        steady = samples[1:] if len(samples) > 2 else samples
        rss_slope = slope_per_thousand([(d, r) for d, r, _ in steady])
        traced_slope = slope_per_thousand([(d, t) for d, _, t in steady])
        at = 38_000
        projected = samples[-1][1] + rss_slope * (at - samples[-1][0]) / 1000
        print(f"{service}: growth per 1,000 dossiers after the first sample: RSS "
              f"{rss_slope:+.2f} MB, traced {traced_slope:+.2f} MB; RSS at {at:,} dossiers "
              f"projected {projected:.0f} MB")
        if trace and first is not None:
            # The script's own set of the dossiers seen is not the consumer's.
            mine = (tracemalloc.Filter(False, __file__),)
            last = tracemalloc.take_snapshot().filter_traces(mine)
            first = first.filter_traces(mine)
            print(f"top {top} growths of traced memory, first sample to last:")
            for stat in last.compare_to(first, "traceback")[:top]:
                frames = [f"{frame.filename.split('/src/')[-1]}:{frame.lineno}"
                          for frame in reversed(stat.traceback[-4:])]  # newest first
                print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  "
                      + " < ".join(frames))
        await engine.dispose()
    finally:
        postgres.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--dossiers", type=int, default=3000)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--no-trace", dest="trace", action="store_false")
    arguments = parser.parse_args()
    if arguments.every <= 0 or arguments.dossiers < 2 * arguments.every:
        sys.exit("--every must be positive and --dossiers at least twice --every")
    if arguments.service == "forms":
        forms(arguments.dossiers, arguments.every)
        sys.exit()
    asyncio.run(main(arguments.service, arguments.dossiers, arguments.every, arguments.batch,
                     arguments.trace, arguments.top))
