"""`motcua audit bench`: how fast the replay verifies a realistic signed log, and whether its
memory stays flat. Generates the log once into a folder (kept, so later runs reuse it), then
replays it from the file with N processes and reports events/s and the processes' RSS over
the run. The log file keeps the broker and Postgres out of the measurement: what is measured is
the verification itself (parse, schema, hash, Ed25519, entitlement, chain, lifecycle, deadlines)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from motcua_audit.generator import generate, prepare_keys
from motcua_audit.replay import replay
from motcua_audit.sources import FileSource, write_log

EVENTS_PER_DOSSIER = 6.2  # the generator's mix of paths, on average


def bench(folder: Path, events: int, *, workers: int, seed: int = 1,
          on_progress: Any = None) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    dossiers = max(1, round(events / EVENTS_PER_DOSSIER))
    log = folder / f"log-{dossiers}-{seed}.tsv"
    meta = log.with_suffix(".json")
    generated_per_second = None
    if not (log.exists() and meta.exists()):
        started = time.perf_counter()
        count = write_log(log, generate(prepare_keys(folder / "keys"), dossiers, seed=seed))
        generated_per_second = count / (time.perf_counter() - started)
        meta.write_text(json.dumps({"events": count, "dossiers": dossiers}))
    result = replay(FileSource(log), folder / "keys" / "registry.json", workers=workers,
                    on_progress=on_progress)
    report = result.report()
    samples = report["rss_samples"]
    # Flat memory: RSS in the second half of the run against the first half.
    half = [s["rss_bytes"] for s in samples if s["events"] >= report["events"] / 2]
    first = [s["rss_bytes"] for s in samples if 0 < s["events"] < report["events"] / 2]
    return {
        "log": str(log),
        "events": report["events"],
        "dossiers": report["dossiers"],
        "workers": workers,
        "seconds": report["seconds"],
        "events_per_second": report["events_per_second"],
        "generated_events_per_second": (round(generated_per_second, 1)
                                        if generated_per_second else None),
        # Capacity without the neighbours: events per second of CPU the replay processes used
        # (on a shared machine wall-clock throughput also measures the other tenants).
        "cpu_seconds": report["cpu_seconds"],
        "events_per_cpu_second": round(report["events"] / report["cpu_seconds"], 1)
        if report["cpu_seconds"] else None,
        "findings": report["findings_total"],
        "rss_first_half_max_mb": round(max(first, default=0) / 2**20, 1),
        "rss_second_half_max_mb": round(max(half, default=0) / 2**20, 1),
        "peak_rss_mb": round(report["peak_rss_bytes"] / 2**20, 1),
        "rss_samples_mb": [[s["events"], round(s["rss_bytes"] / 2**20, 1)] for s in samples],
    }
