"""CPU per record of reading one record in full (issue 15): `motcua_runtime.records.read_event`
(the headers against the body, the JSON parse, pydantic's validation, the hash, the Ed25519
verification, the key's validity and entitlement) over a generated signed log
(motcua_audit.generator), without Kafka or Postgres: the part every consumer pays for every
record it acts on. Prints the minimum and the median of the passes, in µs of CPU per record.

    python scripts/profile_reading.py [--dossiers 300] [--passes 9]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from profile_folding import KEYS, records  # noqa: E402 (the same generated log)

from motcua_runtime.keys import REGISTRY_FILE, KeyRegistry  # noqa: E402
from motcua_runtime.records import RecordHeaders, read_event  # noqa: E402
from motcua_runtime.trust import Verifier  # noqa: E402


def main(dossiers: int, passes: int) -> None:
    log = records(KEYS, dossiers)
    verifier = Verifier(KeyRegistry.load(KEYS / REGISTRY_FILE))
    headers = [RecordHeaders.of(record) for record in log]
    refused = [read for record, record_headers in zip(log, headers, strict=True)
               if isinstance(read := read_event(record, record_headers, verifier), str)]
    if refused:  # every generated record is valid: a refusal is a broken reader, not a figure
        raise SystemExit(f"{len(refused)} records refused, the first: {refused[0]}")
    times = []
    for _ in range(passes):
        started = time.process_time()
        for record, record_headers in zip(log, headers, strict=True):
            read_event(record, record_headers, verifier)
        times.append(time.process_time() - started)
    times.sort()
    print(f"read_event: {1e6 * times[0] / len(log):.1f} µs min, "
          f"{1e6 * times[len(times) // 2] / len(log):.1f} µs median of {passes} passes, "
          f"per record ({len(log)} records)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--passes", type=int, default=9)
    arguments = parser.parse_args()
    main(arguments.dossiers, arguments.passes)
