"""`motcua audit replay`: the log judged by auditors in parallel shares (one process per core;
each share is a set of partitions, so whole dossier histories), then each dossier's rebuilt
status compared with the live intake database when one is reachable."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import queue
import resource
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text

from motcua_audit.auditor import DATABASE, Auditor, Finding, Rebuilt, Timeline
from motcua_audit.sources import Source, SourceError
from motcua_runtime.db import create_engine
from motcua_runtime.keys import KeyProblem, KeyRegistry
from motcua_runtime.trust import Verifier


@dataclass
class ShareResult:
    events: int = 0
    dossiers: int = 0
    on_time: int = 0
    late: int = 0
    findings: list[Finding] = field(default_factory=list)
    findings_by_kind: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)  # status code -> dossiers
    received_by_agency: dict[str, int] = field(default_factory=dict)
    received_by_unit: dict[str, int] = field(default_factory=dict)
    imported_dossiers: int = 0
    imported_events: int = 0
    continued_events: int = 0
    imported_by_status: dict[str, int] = field(default_factory=dict)
    in_database: int = 0
    peak_rss: int = 0  # bytes
    cpu_seconds: float = 0.0  # user + system time of the share's process
    error: str | None = None


@dataclass
class Replay:
    """What a replay found; `report()` is the JSON document."""

    source: str
    workers: int
    seconds: float
    shares: list[ShareResult]
    findings: list[Finding]
    rss_samples: list[tuple[int, int]]  # (events read so far, RSS of all shares in bytes)

    @property
    def events(self) -> int:
        return sum(s.events for s in self.shares)

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def report(self) -> dict[str, Any]:
        by_kind: Counter[str] = Counter()
        statuses: Counter[int] = Counter()
        by_agency: Counter[str] = Counter()
        by_unit: Counter[str] = Counter()
        imported_statuses: Counter[str] = Counter()
        for share in self.shares:
            imported_statuses.update(share.imported_by_status)
            by_kind.update(share.findings_by_kind)
            statuses.update(share.statuses)
            by_agency.update(share.received_by_agency)
            by_unit.update(share.received_by_unit)
        by_kind.update(f.kind for f in self.findings)
        findings = [f for share in self.shares for f in share.findings] + self.findings
        return {
            "source": self.source,
            "events": self.events,
            "dossiers": sum(s.dossiers for s in self.shares),
            "events_per_second": round(self.events_per_second, 1),
            "seconds": round(self.seconds, 3),
            "workers": self.workers,
            "statuses": {str(code): count for code, count in sorted(statuses.items())},
            "deadlines": {"on_time": sum(s.on_time for s in self.shares),
                          "late": sum(s.late for s in self.shares)},
            "received": {"by_agency": dict(sorted(by_agency.items())),
                         "by_receiving_unit": dict(sorted(by_unit.items()))},
            # Imported history (DossierImported, the import key's) told from native: the
            # dossiers brought in, their import events, and the native events that continued
            # them here; `native` is the rest of the log.
            "imported": {"dossiers": sum(s.imported_dossiers for s in self.shares),
                         "events": sum(s.imported_events for s in self.shares),
                         "continued_events": sum(s.continued_events for s in self.shares),
                         "statuses": dict(sorted(imported_statuses.items()))},
            "native": {"dossiers": sum(s.dossiers - s.imported_dossiers for s in self.shares),
                       "events": sum(s.events - s.imported_events - s.continued_events
                                     for s in self.shares)},
            "findings_by_kind": dict(sorted(by_kind.items())),
            "findings": [f.to_json() for f in findings],
            "findings_listed": len(findings),
            "findings_total": sum(by_kind.values()),
            "peak_rss_bytes": sum(s.peak_rss for s in self.shares),
            "cpu_seconds": round(sum(s.cpu_seconds for s in self.shares), 3),
            "rss_samples": [{"events": e, "rss_bytes": r} for e, r in self.rss_samples],
        }


def replay(source: Source, registry_path: Path, *, workers: int = 1,
           database_url: str | None = None, max_findings: int = 10_000,
           on_progress: Callable[[int], None] | None = None) -> Replay:
    """Judge the whole log. Raises SourceError or KeyProblem for what the user must fix."""
    KeyRegistry.load(registry_path)  # a missing or broken registry: say so before forking
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    progress = context.Value("q", 0)
    results: multiprocessing.Queue = context.Queue()
    processes = [context.Process(target=_share_main, name=f"audit-share-{share}", daemon=True,
                                 args=(source, registry_path, database_url, share, workers,
                                       max_findings, progress, results))
                 for share in range(workers)]
    for process in processes:
        process.start()
    shares: list[ShareResult] = []
    samples: list[tuple[int, int]] = []
    last_sample = 0.0
    while len(shares) < workers:
        try:
            shares.append(results.get(timeout=0.1))
        except queue.Empty:
            if not any(p.is_alive() for p in processes) and results.empty():
                raise SourceError("a replay process died; see the messages above") from None
        if on_progress:
            on_progress(progress.value)
        if time.perf_counter() - last_sample > 0.5:
            last_sample = time.perf_counter()
            samples.append((progress.value, _rss([p.pid for p in processes])))
    for process in processes:
        process.join()
    seconds = time.perf_counter() - started
    errors = [s.error for s in shares if s.error]
    if errors:
        raise SourceError(errors[0])
    extra = []
    if database_url:
        extra = asyncio.run(_unlogged_dossiers(database_url, sum(s.in_database for s in shares)))
    return Replay(source.describe(), workers, seconds, shares, extra, samples)


def _rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total


def _share_main(source: Source, registry_path: Path, database_url: str | None, share: int,
                shares: int, max_findings: int, progress: Any,
                results: multiprocessing.Queue) -> None:
    # The auditor's state holds no reference cycles: collecting less often saves CPU on a path
    # that allocates a few objects per record, and freezing skips what was loaded at start.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        result = asyncio.run(_judge_share(source, registry_path, database_url, share, shares,
                                          max_findings, progress))
    except (SourceError, KeyProblem) as error:
        result = ShareResult(error=str(error))
    except Exception as error:  # a bug: show where, and let the parent stop cleanly
        traceback.print_exc()
        result = ShareResult(error=f"replay share {share} failed: {type(error).__name__}: "
                                   f"{error}")
    results.put(result)


async def _judge_share(source: Source, registry_path: Path, database_url: str | None,
                       share: int, shares: int, max_findings: int,
                       progress: Any) -> ShareResult:
    auditor = Auditor(Verifier(KeyRegistry.load(registry_path)), max_findings=max_findings)
    feed = auditor.feed
    async for records in source.read(share, shares):
        for record in records:
            feed(*record)
        with progress.get_lock():
            progress.value += len(records)
    auditor.finish()
    in_database = 0
    if database_url:
        in_database = await _compare_with_intake(database_url, auditor.rebuilt(), auditor)
    tally = auditor.tally
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return ShareResult(
        events=tally.events, dossiers=len(auditor.dossiers), on_time=tally.on_time,
        late=tally.late, findings=auditor.findings,
        findings_by_kind=dict(tally.findings_by_kind), statuses=dict(auditor.statuses()),
        in_database=in_database,
        received_by_agency=dict(tally.received_by_agency),
        received_by_unit=dict(tally.received_by_unit),
        imported_dossiers=tally.imported_dossiers, imported_events=tally.imported_events,
        continued_events=tally.continued_events,
        imported_by_status=dict(tally.imported_by_status),
        peak_rss=usage.ru_maxrss * 1024, cpu_seconds=usage.ru_utime + usage.ru_stime)


async def _compare_with_intake(database_url: str, rebuilt: dict[uuid.UUID, Rebuilt],
                               auditor: Auditor) -> int:
    """Each dossier's status and timeline rebuilt from the log against intake's tracking view
    (`intake.dossiers.status_code`, `intake.timeline`). Dossiers whose fold a finding stopped
    are only looked up: their findings already say what is wrong."""
    engine = create_engine(database_url)
    ids = list(rebuilt)
    found = 0
    try:
        async with engine.connect() as connection:
            for start in range(0, len(ids), 5000):
                chunk = ids[start:start + 5000]
                live = {row[0]: row[1] for row in await connection.execute(
                    text("SELECT id, status_code FROM intake.dossiers WHERE id = ANY(:ids)"),
                    {"ids": chunk})}
                timelines: dict[uuid.UUID, Timeline] = {}
                for dossier_id, hash_hex in await connection.execute(
                        text("SELECT dossier_id, hash FROM intake.timeline "
                             "WHERE dossier_id = ANY(:ids)"), {"ids": chunk}):
                    timelines[dossier_id] = timelines.get(dossier_id, Timeline(0, 0)).add(
                        bytes.fromhex(hash_hex or ""))
                found += len(live)
                for dossier_id in chunk:
                    for reason in _differences(rebuilt[dossier_id], live.get(dossier_id),
                                               timelines.get(dossier_id, Timeline(0, 0))):
                        auditor.findings_append(Finding(str(dossier_id), None, None, DATABASE,
                                                        reason))
    except SourceError:
        raise
    except Exception as error:
        raise SourceError(f"cannot compare with intake's database: {error}") from None
    finally:
        await engine.dispose()
    return found


def _differences(log: Rebuilt, status: int | None, timeline: Timeline) -> list[str]:
    if status is None:
        return ["the log has this dossier; intake's database does not"]
    if not log.judged:
        return []
    found = []
    if status != log.status:
        found.append(f"intake's database shows status {status}; the log rebuilds status "
                     f"{log.status}")
    if timeline != log.timeline:
        found.append(f"intake's timeline holds {timeline.entries} event(s), the log applied "
                     f"{log.timeline.entries}" + ("" if timeline.entries != log.timeline.entries
                                                  else ", but not the same ones"))
    return found


async def _unlogged_dossiers(database_url: str, found: int) -> list[Finding]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            total = await connection.scalar(text("SELECT count(*) FROM intake.dossiers"))
    except Exception as error:
        raise SourceError(f"cannot read intake's database: {error}") from None
    finally:
        await engine.dispose()
    if total > found:
        return [Finding(None, None, None, DATABASE,
                        f"{total - found} dossier(s) in intake's database have no event in the "
                        "log")]
    return []


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
