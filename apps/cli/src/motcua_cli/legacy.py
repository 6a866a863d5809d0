"""`motcua import-legacy FILE`: bring in dossiers from the system being replaced, and
`motcua import-legacy --sample N` to write a file of N sample dossiers to try it with.

The edge around the rules of motcua_intake.legacy: read the file, judge all of it (and its codes
against intake's database) before anything is published, seal each applicant under a new data
key kept in the key store (and a signed result at status 9, read from beside the file, in
signing's result store, sealed under the same key), sign each `DossierImported` with the import
key, publish them, then wait until intake's tracking view shows every one
(docs/legacy-import.md)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from motcua_catalogue import Catalogue
from motcua_catalogue.catalogue import default_catalogue
from motcua_catalogue.working_time import VIETNAM
from motcua_cli import IMPORT_PRODUCER
from motcua_cli.samples import FAMILY, GIVEN, MIDDLE, WARDS, sample_pdf
from motcua_cli.stackfile import Stack
from motcua_contracts import DOSSIER_TOPIC
from motcua_intake.legacy import (
    DEFAULT_SOURCE,
    Judged,
    LegacyFileInvalid,
    ReadResult,
    imported_event,
    read_lines,
)
from motcua_privacy import DOSSIER_KEYS, Keyring, new_data_key, wrap
from motcua_runtime.db import engine_url
from motcua_runtime.kafka import create_producer
from motcua_runtime.keys import KeyProblem, signer_for
from motcua_runtime.outbox import OutgoingMessage
from motcua_signing.orm import ResultDocument

RESULTS = ResultDocument.__table__  # signing's result store, which delivery hands over from


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "import-legacy", help="bring in dossiers from the system being replaced (JSON lines, "
                              "docs/legacy-import.md), or write a sample file (--sample N)")
    command.add_argument("file", nargs="?", type=Path, help="the export, one dossier a line")
    command.add_argument("--check", action="store_true",
                         help="judge the file (and its codes against the running system) only")
    command.add_argument("--source-system", default=DEFAULT_SOURCE,
                         help="the old system's name, kept with each dossier")
    command.add_argument("--wait", type=float, default=300.0, metavar="SECONDS",
                         help="how long to wait for intake to show every dossier (0: not)")
    command.add_argument("--sample", type=int, metavar="N",
                         help="write N sample dossiers (half ended, half in progress) to --out "
                              "(or stdout) instead of importing")
    command.add_argument("--out", type=Path, help="with --sample: the file to write")
    command.add_argument("--seed", type=int, default=17, help="with --sample: the draw")


def run(args: argparse.Namespace, current: Stack, keys_dir: Path, passphrase: str,
        master_key: bytes) -> int:
    catalogue = default_catalogue()
    now = datetime.now(timezone.utc)
    if args.sample is not None:
        if args.sample < 1:
            raise SystemExit("--sample: at least 1 dossier")
        # The signed results of those at 9 are files beside the export: only with --out.
        lines = sample_lines(args.sample, random.Random(args.seed), catalogue, now,
                             results=args.out is not None)
        body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        if args.out:
            args.out.write_text(body, encoding="utf-8")
            results = sample_results(lines)
            for name, content in results.items():
                (args.out.parent / name).parent.mkdir(parents=True, exist_ok=True)
                (args.out.parent / name).write_bytes(content)
            print(f"{args.sample} sample dossiers in {args.out}"
                  + (f", {len(results)} signed result(s) beside it" if results else ""),
                  file=sys.stderr)
        else:
            sys.stdout.write(body)
        return 0
    if args.file is None:
        raise SystemExit("import-legacy: name the FILE to import (or --sample N)")
    try:
        content = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SystemExit(f"{args.file}: cannot read it ({error})") from None
    if not current.database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL (the codes are "
                         "checked against intake's dossiers, the data keys stored beside them)")
    return asyncio.run(_import(args, content, catalogue, now, current, keys_dir, passphrase,
                               master_key))


async def _import(args: argparse.Namespace, content: str, catalogue: Catalogue,
                  now: datetime, current: Stack, keys_dir: Path, passphrase: str,
                  master_key: bytes) -> int:
    engine = create_async_engine(engine_url(current.database_url or ""))
    try:
        known = await _known_codes(engine, content)
        try:
            judged = read_lines(str(args.file), content, catalogue, now=now,
                                known_codes=lambda codes: {c: known[c] for c in codes
                                                           if c in known},
                                read_result=beside(args.file))
        except LegacyFileInvalid as invalid:
            print(f"{args.file}: not imported, nothing of it was ({invalid.total} error(s)):\n"
                  f"{invalid}", file=sys.stderr)
            return 1
        fresh = [item for item in judged if item.dossier.code not in known]
        finished = sum(1 for item in fresh if item.dossier.finished)
        print(f"{args.file}: {len(judged)} dossier(s) valid; {len(judged) - len(fresh)} "
              f"imported before, {len(fresh)} to import ({finished} ended, "
              f"{len(fresh) - finished} in progress)")
        if args.check or not fresh:
            return 0
        if not current.kafka_bootstrap_servers:
            raise SystemExit("no broker: start `motcua up` or set KAFKA_BOOTSTRAP_SERVERS")
        try:
            signer = signer_for(keys_dir, IMPORT_PRODUCER, None, passphrase=passphrase)
        except KeyProblem as problem:
            raise SystemExit(f"{problem} (the import key: `motcua keys init` makes it)") from None
        keys = Keyring()
        for item in fresh:
            keys.keys[item.dossier.dossier_id] = new_data_key()
        events = [imported_event(item, producer=signer.producer, seal=keys.seal,
                                 sign=signer.sign, actor=f"operator:{getpass.getuser()}",
                                 source_system=args.source_system, now=now)
                  for item in fresh]
        # The data keys first, in one transaction: an event whose key is not stored would
        # carry an applicant nobody can read.
        try:
            await _store_keys(engine, keys, fresh, master_key, now)
        except IntegrityError as error:
            # A result number signing already holds for another dossier (numbers are unique).
            print(f"{args.file}: not imported, nothing of it was: a result number is already "
                  f"in signing's result store ({error.orig})", file=sys.stderr)
            return 1
        topic = os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC)
        await _publish(current.kafka_bootstrap_servers, topic, events)
        print(f"published {len(events)} DossierImported event(s) on {topic}, signed with "
              f"{signer.producer.key_id}")
        if args.wait <= 0:
            return 0
        shown = await _wait_for_intake(engine, [item.dossier.dossier_id for item in fresh],
                                       args.wait)
        print(f"intake shows {shown} of {len(fresh)}")
        return 0 if shown == len(fresh) else 1
    finally:
        await engine.dispose()


async def _known_codes(engine: AsyncEngine, content: str) -> dict[str, uuid.UUID]:
    """The codes of the file already known here (intake's dossiers and the key store), with
    their dossier ids. Read once, before the rules judge the file."""
    codes: set[str] = set()
    for raw in content.splitlines():
        try:
            code = json.loads(raw).get("code")
        except (ValueError, AttributeError):
            continue
        if isinstance(code, str):
            codes.add(code.strip())
    if not codes:
        return {}
    async with engine.connect() as connection:
        rows = await connection.execute(text(
            "SELECT code, id FROM intake.dossiers WHERE code = ANY(:codes)"),
            {"codes": sorted(codes)})
        found = {code: dossier_id for code, dossier_id in rows}
        rows = await connection.execute(select(DOSSIER_KEYS.c.dossier_code,
                                               DOSSIER_KEYS.c.dossier_id)
                                        .where(DOSSIER_KEYS.c.dossier_code.in_(sorted(codes))))
        for code, dossier_id in rows:
            found.setdefault(code, dossier_id)
    return found


def beside(export: Path) -> ReadResult:
    """Reads a result file named by a line of `export`, relative to the export's folder."""
    folder = export.parent

    def read(path: str) -> bytes:
        return (folder / path).read_bytes()

    return read


async def _store_keys(engine: AsyncEngine, keys: Keyring, items: list[Judged],
                      master_key: bytes, now: datetime) -> None:
    """The data keys, and the signed results of those at status 9, in one transaction."""
    results = [{"id": uuid.uuid4(), "dossier_id": item.dossier.dossier_id,
                "dossier_code": item.dossier.code, "agency": item.agency,
                "result_number": item.dossier.result_number,
                # The old system's result, as it decided; not re-signed here: no certificate
                # of this system's CA sealed it (DossierImported.result.sealed_by says whose).
                "outcome": "imported", "media_type": "application/pdf",
                "content": keys.seal_blob(item.dossier.dossier_id, item.result),
                "sha256": item.result_sha256, "certificate_fingerprint": None,
                "signed_at": item.dossier.ended_at}
               for item in items if item.result is not None]
    async with engine.begin() as connection:
        await connection.execute(pg_insert(DOSSIER_KEYS).on_conflict_do_nothing(), [
            {"dossier_id": item.dossier.dossier_id, "dossier_code": item.dossier.code,
             "created_at": now,
             "wrapped_key": wrap(master_key, item.dossier.dossier_id,
                                 keys.keys[item.dossier.dossier_id])}
            for item in items])
        if results:
            await connection.execute(RESULTS.insert(), results)


async def _publish(servers: str, topic: str, events: Iterable[Any]) -> None:
    producer = create_producer(servers, "import-legacy")
    await producer.start()
    try:
        deliveries = []
        for event in events:
            message = OutgoingMessage.for_event(topic, event)
            deliveries.append(await producer.send(topic, message.value, key=message.key,
                                                  headers=message.headers))
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()


async def _wait_for_intake(engine: AsyncEngine, ids: list[uuid.UUID], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        async with engine.connect() as connection:
            shown = int(await connection.scalar(text(
                "SELECT count(*) FROM intake.dossiers WHERE id = ANY(:ids)"), {"ids": ids}) or 0)
        if shown == len(ids) or time.monotonic() > deadline:
            return shown
        await asyncio.sleep(0.5)


# -- the sample file ---------------------------------------------------------------------------

def sample_lines(count: int, rng: random.Random, catalogue: Catalogue,
                 now: datetime, *, results: bool = True) -> list[dict[str, Any]]:
    """`count` dossiers as an old system would export them: every other one ended (mostly
    delivered, some refused or withdrawn, a few late), the others in progress at every status
    the import takes (_GOING_SHARES): accepted or being processed (some after a supplement),
    waiting on the applicant's supplement or fees, not yet checked, with a withdrawal to
    confirm, or with a signed result to hand over (its PDF: `sample_results`; `results` False:
    none at 9); several already overdue."""
    shares = {s: w for s, w in _GOING_SHARES.items() if results or s != 9}
    procedures = sorted(catalogue.procedures.values(), key=lambda p: p.code)
    today = now.astimezone(VIETNAM).replace(hour=8, minute=0, second=0, microsecond=0)
    lines = []
    for number in range(count):
        procedure = rng.choice(procedures)
        finished = number % 2 == 0
        received = today - timedelta(days=rng.randint(40, 400) if finished
                                     else rng.randint(1, 30)) + timedelta(
            minutes=rng.randint(0, 420))
        due = (received + timedelta(days=rng.randint(5, 20))).replace(hour=17, minute=0)
        actor = f"legacy:{rng.choice(['tran.thi.b', 'le.van.c', 'pham.thu.d', 'hoang.e'])}"
        steps: list[dict[str, Any]] = [{"at": received.isoformat(), "actor": actor, "status": 2,
                  "note": "Tiếp nhận hồ sơ"}]
        extra: dict[str, Any] = {}
        if finished:
            status = rng.choices([10, 3, 8], weights=[8, 1, 1])[0]
            if status == 3:
                steps = [{"at": received.isoformat(), "actor": actor, "status": 1},
                         {"at": (received + timedelta(hours=2)).isoformat(), "actor": actor,
                          "status": 3, "note": "Hồ sơ không thuộc thẩm quyền giải quyết"}]
            elif status == 8:
                steps += [{"at": (received + timedelta(days=1)).isoformat(), "actor": actor,
                           "status": 4},
                          {"at": (received + timedelta(days=2)).isoformat(), "actor": "applicant",
                           "status": 7, "note": "Công dân đề nghị rút hồ sơ"},
                          {"at": (received + timedelta(days=2, hours=3)).isoformat(),
                           "actor": actor, "status": 8, "note": "Dừng xử lý theo đề nghị"}]
            else:
                late = rng.random() < 0.15
                ready = due + timedelta(days=2) if late else due - timedelta(days=1, hours=3)
                steps += [{"at": (received + timedelta(days=1)).isoformat(), "actor": actor,
                           "status": 4},
                          {"at": ready.isoformat(), "actor": actor, "status": 9,
                           "note": "Đã ký kết quả"},
                          {"at": (ready + timedelta(hours=20)).isoformat(), "actor": actor,
                           "status": 10, "note": "Đã trả kết quả tại quầy"}]
        else:
            status = rng.choices(list(shares), weights=list(shares.values()))[0]
            steps, extra = _going(status, steps, received, actor, procedure.fee_counter, rng,
                                  now)
        code = f"LC{received:%y%m%d}-{number + 1:06d}"
        if status == 9:
            extra = {"result_file": f"ket-qua/{code}.pdf",
                     "result_number": f"{number + 1}/{received:%Y}/KQ-CU"}
        lines.append({
            "code": code,
            "procedure_code": procedure.code,
            "channel": rng.choice(["counter", "counter", "online"]),
            "applicant": {
                "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                "id_number": "0" + "".join(rng.choice("0123456789") for _ in range(11)),
                "phone": "09" + "".join(rng.choice("0123456789") for _ in range(8)),
                "email": f"nguoidan{rng.randint(1, 99999)}@example.vn",
                "address": f"Số {rng.randint(1, 300)}, phường {rng.choice(WARDS)}"},
            "delivery": {"channel": "counter"},
            "received_at": received.isoformat(),
            "due_at": None if status in (1, 3) else due.isoformat(),
            "status": status,
            "history": steps,
            **extra,
        })
    return lines


# The shares of the statuses of the dossiers in progress in the sample, as an old system's
# open dossiers are spread: most in the agency's hands, some waiting on the applicant, a few not
# yet checked or with a withdrawal to confirm.
_GOING_SHARES = {4: 42, 2: 18, 5: 11, 6: 8, 1: 8, 9: 7, 7: 6}


def sample_results(lines: list[dict[str, Any]]) -> dict[str, bytes]:
    """The signed result PDFs the sample's dossiers at 9 name, by their path beside the file:
    one page naming the dossier (a real export holds the old system's sealed PDFs)."""
    return {line["result_file"]: sample_pdf(f"Kết quả giải quyết hồ sơ {line['code']}")
            for line in lines if line.get("result_file")}


def _going(status: int, accepted: list[dict[str, Any]], received: datetime, actor: str,
           fee: int, rng: random.Random, now: datetime,
           ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The history of a dossier in progress at `status`, and the fields its status calls for
    (what the applicant was asked for at 5 and 6; no appointment yet at 1). Every step is in
    the past: a step the draw puts ahead of `now` happens at `now`."""
    if status == 1:  # received at the desk, not yet checked
        return [{"at": received.isoformat(), "actor": actor, "status": 1,
                 "note": "Tiếp nhận, chờ kiểm tra thành phần hồ sơ"}], {}

    def step(hours: float, status: int, note: str | None = None,
             who: str = actor) -> dict[str, Any]:
        at = min(received + timedelta(hours=hours), now)
        return {"at": at.isoformat(), "actor": who, "status": status,
                **({"note": note} if note else {})}

    steps = list(accepted)
    if status == 2:
        return steps, {}
    taken = rng.uniform(2, 20)
    steps.append(step(taken, 4))
    if status == 4:
        if rng.random() < 0.2:  # the agency's one supplement, already made
            steps += [step(taken + 2, 5, "Yêu cầu bổ sung bản sao giấy tờ"),
                      step(taken + 30, 4, "Đã bổ sung", "applicant")]
        return steps, {}
    asked = taken + rng.uniform(2, 48)
    if status == 5:
        steps.append(step(asked, 5, "Đề nghị bổ sung bản sao sổ hộ khẩu và trích lục bản đồ"))
        requested = datetime.fromisoformat(steps[-1]["at"])
        deadline = (max(requested, now) + timedelta(days=rng.randint(2, 10))).replace(
            hour=17, minute=0, second=0, microsecond=0)
        return steps, {"supplement_due_at": deadline.isoformat(),
                       "requested_documents": ["Bản sao sổ hộ khẩu", "Trích lục bản đồ địa chính"]}
    if status == 6:
        steps.append(step(asked, 6, "Đề nghị nộp phí, lệ phí theo quy định"))
        return steps, {"fees_due": fee or rng.choice([50_000, 100_000, 200_000])}
    if status == 9:
        steps.append(step(asked, 9, "Đã ký kết quả, chờ trả"))
        return steps, {}  # the result's file and number: sample_lines, which knows the code
    steps.append(step(asked, 7, "Công dân đề nghị rút hồ sơ", "applicant"))
    return steps, {}
