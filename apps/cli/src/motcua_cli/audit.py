"""`motcua audit replay` and `motcua audit bench`: the auditors' commands (motcua_audit)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from motcua_cli.stackfile import Stack


def add_parser(commands: argparse._SubParsersAction) -> None:
    workers = max(1, min(os.cpu_count() or 1, 8))
    audit = commands.add_parser("audit", help="replay and verify the event log")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    replay = actions.add_parser(
        "replay", help="verify every event from offset 0; exit 0 only with no finding")
    replay.add_argument("--from", dest="source", default="topic", metavar="topic|archive|FILE",
                        help="the topic (default), the audit archive, or a log file")
    replay.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    replay.add_argument("--html", type=Path, metavar="FILE", help="write the report as HTML")
    replay.add_argument("--workers", type=int, default=workers,
                        help="processes, each taking a share of the partitions")
    replay.add_argument("--no-database", action="store_true",
                        help="do not compare statuses with intake's database")
    replay.add_argument("--max-findings", type=int, default=10_000,
                        help="findings listed in full per process (all are counted)")
    bench = actions.add_parser("bench", help="verification throughput on a generated signed log")
    bench.add_argument("--events", type=int, default=200_000)
    bench.add_argument("--workers", type=int, default=workers)
    bench.add_argument("--folder", type=Path, help="where the log is kept "
                                                   "(default <data-dir>/audit-bench)")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace, current: Stack, data_dir: Path, keys_dir: Path) -> int:
    from motcua_audit.sources import SourceError
    from motcua_runtime.keys import KeyProblem

    console = Console(highlight=False, stderr=True)
    if args.workers < 1:
        raise SystemExit("--workers must be at least 1")
    try:
        if args.audit_command == "bench":
            return _bench(args, data_dir, console)
        return _replay(args, current, keys_dir, console)
    except (SourceError, KeyProblem) as problem:
        raise SystemExit(f"audit: {problem}") from None


def _replay(args: argparse.Namespace, current: Stack, keys_dir: Path, console: Console) -> int:
    from motcua_audit.replay import replay
    from motcua_audit.report import show, write_html, write_json
    from motcua_audit.sources import ArchiveSource, FileSource, TopicSource
    from motcua_contracts import DOSSIER_TOPIC

    topic = os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC)
    if args.source == "topic":
        if not current.kafka_bootstrap_servers:
            raise SystemExit("no broker: start `motcua up` or set KAFKA_BOOTSTRAP_SERVERS")
        source = TopicSource(current.kafka_bootstrap_servers, topic)
    elif args.source == "archive":
        if not current.database_url:
            raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
        source = ArchiveSource(current.database_url, topic)
    else:
        path = Path(args.source)
        if not path.is_file():
            raise SystemExit(f"--from {args.source}: not `topic`, `archive` or a log file")
        source = FileSource(path)
    for target in (args.json, args.html):
        if target is not None and not target.parent.is_dir():
            raise SystemExit(f"cannot write {target}: no folder {target.parent}")
    registry = Path(os.environ.get("MOTCUA_KEY_REGISTRY") or keys_dir / "registry.json")
    database_url = None if args.no_database else current.database_url
    with _progress(console) as (progress, task):
        result = replay(source, registry, workers=args.workers, database_url=database_url,
                        max_findings=args.max_findings,
                        on_progress=lambda n: progress.update(task, completed=n))
    report = result.report()
    show(report, Console(highlight=False))
    if args.json:
        write_json(report, args.json)
    if args.html:
        write_html(report, args.html)
    return 0 if report["findings_total"] == 0 else 1


def _bench(args: argparse.Namespace, data_dir: Path, console: Console) -> int:
    from motcua_audit.bench import bench

    folder = args.folder or data_dir / "audit-bench"
    console.print(f"log and its keys in {folder} (generated on the first run)")
    with _progress(console) as (progress, task):
        result = bench(folder, args.events, workers=args.workers,
                       on_progress=lambda n: progress.update(task, completed=n))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if key != "rss_samples_mb":
                print(f"{key}: {value}")
    return 0 if result["findings"] == 0 else 1


class _progress:
    """A live count of events read and the rate, on a terminal only."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.completed:,} events"),
                                 TimeElapsedColumn(), console=console, transient=True,
                                 disable=not console.is_terminal)

    def __enter__(self) -> tuple[Progress, int]:
        self.progress.start()
        return self.progress, self.progress.add_task("replay", total=None)

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()
