"""`python -m motcua_signing.bench [N]` (or `motcua pki bench`): how many result PDFs one core
renders and seals per second, the handler's whole CPU cost per dossier. Uses a throw-away
development PKI, so it needs nothing running."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from motcua_catalogue.catalogue import default_catalogue
from motcua_contracts.dossier import DossierFacts
from motcua_pki import DEV_PASSPHRASE, Keystore, init_dev_pki
from motcua_signing.issuer import ResultIssuer
from motcua_signing.seal import Sealer


def bench(count: int, *, warmup: int = 5) -> dict[str, float]:
    catalogue = default_catalogue()
    procedures = list(catalogue.procedures.values())
    with tempfile.TemporaryDirectory() as directory:
        agencies = {p.agency for p in procedures}
        init_dev_pki(Path(directory), [(code, catalogue.agencies[code].name) for code in agencies])
        issuer = ResultIssuer(Sealer(Keystore.load(Path(directory), DEV_PASSPHRASE)),
                              "https://dichvucong.laocai.gov.vn")
    received = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    total_bytes = 0

    def one(i: int) -> int:
        procedure = procedures[i % len(procedures)]
        facts = DossierFacts(code=f"{catalogue.agencies[procedure.agency].electronic_id}-"
                                  f"261124-{i % 10_000:04d}",
                             procedure_code=procedure.code, applicant_name="Nguyễn Thị Hương",
                             received_at=received, due_at=received + timedelta(days=10),
                             delivery_channel="online")
        outcome = "approved" if i % 10 else "denied"
        result = issuer.issue(facts=facts, agency_code=procedure.agency,
                              agency=catalogue.agencies[procedure.agency], procedure=procedure,
                              number=f"{i + 1:04d}/2026/QĐ-{procedure.agency}", outcome=outcome,
                              body="Chấp thuận theo đề nghị của người nộp hồ sơ",
                              signed_at=datetime.now(timezone.utc).replace(microsecond=0),
                              applicant_name="Nguyễn Thị Hương")
        return len(result.content)

    for i in range(warmup):  # font parsing and first-use caches are start-up cost, not per PDF
        one(i)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        total_bytes += one(i)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {"documents": count, "seconds": round(seconds, 3),
            "pdfs_per_second": round(count / seconds, 1),
            "cpu_ms_per_pdf": round(1000 * cpu_seconds / count, 1),
            "mean_pdf_bytes": round(total_bytes / count)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m motcua_signing.bench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = bench(args.count)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['documents']} result PDFs rendered and sealed in {result['seconds']} s "
              f"on one core: {result['pdfs_per_second']} PDFs/s "
              f"({result['cpu_ms_per_pdf']} ms CPU each, {result['mean_pdf_bytes']} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
