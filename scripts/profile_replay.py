"""CPU per event of the auditors' replay (issue 15), one auditor in this process: a generated
signed log (motcua_audit.generator) fed record by record to motcua_audit.auditor.Auditor, as
each of the replay's worker processes does with its share. No broker, no database, no
multiprocessing: what is measured is the verification itself (parse, schema, hash, Ed25519,
entitlement, chain, lifecycle, deadlines). Prints CPU µs per event and the verified events per
CPU second, which is what `motcua audit bench` reaches per core.

    python scripts/profile_replay.py --dossiers 3000 [--profile --sort tottime] [--without-ed25519]

`--without-ed25519` takes libsodium's call out (every signature taken as valid, for this
measurement only): what the rest of an event costs, a figure less noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from motcua_audit.auditor import Auditor
from motcua_audit.generator import generate, prepare_keys
from motcua_runtime import ed25519
from motcua_runtime.keys import REGISTRY_FILE, KeyRegistry
from motcua_runtime.trust import Verifier


def main(dossiers: int, profile: bool, sort: str, without_ed25519: bool = False) -> None:
    if without_ed25519:
        ed25519.verify = lambda signature, message, public_key: True
    keys = Path(tempfile.mkdtemp(prefix="replay-keys-"))
    log = list(generate(prepare_keys(keys), dossiers))
    auditor = Auditor(Verifier(KeyRegistry.load(keys / REGISTRY_FILE)))
    for record in log[:200]:  # warm-up: first use of each type's validators
        auditor.feed(*record)
    auditor = Auditor(Verifier(KeyRegistry.load(keys / REGISTRY_FILE)))
    profiler = cProfile.Profile() if profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for record in log:
        auditor.feed(*record)
    auditor.finish()
    if profiler:
        profiler.disable()
    cpu = time.process_time() - started
    print(f"replay: {len(log)} events, {1e6 * cpu / len(log):.1f} µs CPU per event, "
          f"{len(log) / cpu:.0f} {'events' if without_ed25519 else 'verified events'} "
          f"per CPU second{' (Ed25519 left out)' if without_ed25519 else ''}, "
          f"{len(auditor.findings)} findings")
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(sort).print_stats(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (tottime...)")
    parser.add_argument("--without-ed25519", action="store_true",
                        help="measure everything but the signature check (for profiling only)")
    arguments = parser.parse_args()
    main(arguments.dossiers, arguments.profile, arguments.sort, arguments.without_ed25519)
