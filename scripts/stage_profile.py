"""Where a running stage's time goes, by part, from a py-spy profile (issue 15).

py-spy samples every thread, waiting or not; this drops the samples whose innermost frame is a
wait (the event loop's select, a thread's condition) and files each remaining sample under the
first part below that one of its frames belongs to, in the order listed: the handler's own work
before the shared consumer that called it. Shares of busy samples, not CPU time: on a loaded
machine a sample is taken whether the process runs or waits for a core.

    py-spy record -r 200 -f raw --pid <stage's pid> -d 60 -o signing.txt   # while a bench runs
    python scripts/stage_profile.py signing.txt [delivery.txt ...]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

WAITING = ("select (selectors", "Condition.wait", "Event.wait")

# (part, substrings of a frame): a frame is "function (module/file.py:line)".
PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("signing: the result's page and seal", ("ResultIssuer.issue",)),
    ("documents drawn (forms, hand-over record)", ("motcua_documents",)),
    ("emitting events (model, canonical JSON, Ed25519)", ("Emitter.emit",)),
    ("opening sealed personal data", ("applicant_name", "Keyring.open")),
    ("work items (take over, close)", ("take_over", "close_all", "work_items.py")),
    ("the stage's own rules", ("motcua_signing/handlers", "motcua_delivery/handlers",
                               "motcua_delivery/decisions", "motcua_delivery/record",
                               "motcua_appraisal/handlers", "motcua_appraisal/decisions",
                               "motcua_approval/handlers", "motcua_audit/archive")),
    ("reading records (verification, parsing)", ("read_event", "BatchProcessor.read ")),
    ("consume spans", ("start_consume",)),
    ("the batch's transaction (chain book, inbox, SQL)", ("BatchProcessor._apply",
                                                          "BatchProcessor.settle",
                                                          "_settle_later")),
    ("outbox relay", ("OutboxRelay",)),
    ("span export (its thread)", ("PostgresSpanExporter", "BatchSpanProcessor")),
    ("dead-letter desk's poll", ("DeadLetterDesk",)),
    ("gauges' poll", ("GaugeWatch",)),
    ("Kafka client (fetch, commit, heartbeat)", ("aiokafka",)),
    ("FastStream and the consumer's wrapper", ("faststream", "fast_depends", "BatchProcessor")),
    ("/metrics served", ("prometheus_client", "socketserver")),
]
OTHER = "other (the event loop, asyncio, the garbage collector)"


def part_of(frames: list[str]) -> str:
    for part, keys in PARTS:
        if any(key in frame for frame in frames for key in keys):
            return part
    return OTHER


def shares(path: Path) -> tuple[int, Counter[str]]:
    """Busy samples in a py-spy raw file, and how many each part has."""
    parts: Counter[str] = Counter()
    busy = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack:
            continue
        if not count.isdigit():
            raise SystemExit(f"{path}:{number}: not py-spy's raw format (stack;stack count)")
        frames = stack.split(";")
        if any(wait in frames[-1] for wait in WAITING):
            continue
        busy += int(count)
        parts[part_of(frames)] += int(count)
    return busy, parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profiles", nargs="+", type=Path, help="py-spy record -f raw output")
    for path in parser.parse_args().profiles:
        busy, parts = shares(path)
        print(f"{path} ({busy} busy samples)")
        for part, count in parts.most_common():
            print(f"  {100 * count / max(busy, 1):5.1f}%  {part}")


if __name__ == "__main__":
    main()
