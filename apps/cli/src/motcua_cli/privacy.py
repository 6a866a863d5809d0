"""`motcua privacy`: crypto-shredding of an applicant's personal data (docs/privacy.md).

    motcua privacy erase CODE --reason TEXT [--lawful-request] [--by LOGIN]
    motcua privacy sweep [--reason TEXT] [--dry-run]   erase every dossier past its retention
    motcua privacy master-key        a new master key for MOTCUA_PRIVACY_MASTER_KEY(_FILE)
    motcua privacy rewrap NEW_KEY_FILE   wrap every living data key under a new master key

`erase` and `sweep` ask intake, over its administrator's endpoints, with an administrator's
token signed by the token issuer's key (as `motcua report` does): intake itself destroys the
dossier's data key and queues `PersonalDataErased`, signed with its own key, in the same
transaction (motcua_intake.erasure). So this command holds no service's private key. Intake
refuses while the procedure's retention period (`retention_years` in the catalogue, counted
from the end of the dossier) runs, unless `--lawful-request` says the law orders the erasure."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from motcua_cli import stackfile
from motcua_cli.report import problem_message
from motcua_cli.tokens import mint
from motcua_privacy import PrivacyProblem, generate_master_key, rewrap_all
from motcua_runtime.db import engine_url
from motcua_runtime.officers import Officer

ERASURE_PATH = "/api/admin/dossiers/{code}/erasure"
DUE_PATH = "/api/admin/erasures/due"


class ErasureRefused(Exception):
    """Intake did not erase: the message is its answer (status and reason)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{status}: {message}")


def erase(api_url: str, token: str, code: str, *, reason: str,
          lawful_request: bool) -> dict[str, Any]:
    """Ask intake to erase the personal data of the dossier `code`: its answer, or
    ErasureRefused (404 unknown code, 409 already erased or retention not over)."""
    response = _call("POST", api_url, ERASURE_PATH.format(code=code), token,
                     json={"reason": reason, "lawful_request": lawful_request})
    if response.status_code != 201:
        raise ErasureRefused(response.status_code, problem_message(response))
    answer: dict[str, Any] = response.json()
    return answer


def due(api_url: str, token: str) -> list[str]:
    """The codes of the dossiers whose retention period is over, not yet erased."""
    response = _call("GET", api_url, DUE_PATH, token)
    if response.status_code != 200:
        raise ErasureRefused(response.status_code, problem_message(response))
    return list(response.json()["codes"])


def _call(method: str, api_url: str, path: str, token: str, **options: Any) -> httpx.Response:
    try:
        return httpx.request(method, api_url.rstrip("/") + path, timeout=60,
                             headers={"Authorization": f"Bearer {token}"}, **options)
    except httpx.HTTPError as error:
        raise SystemExit(f"cannot reach intake at {api_url}: {error}") from None


async def rewrap(database_url: str, old_master: bytes, new_master: bytes) -> int:
    engine = create_async_engine(engine_url(database_url))
    try:
        async with engine.begin() as db:
            return await rewrap_all(db, old_master, new_master)
    finally:
        await engine.dispose()


def add_parser(commands: Any) -> None:
    privacy = commands.add_parser("privacy", help="erase an applicant's personal data "
                                                  "(crypto-shredding); the master key")
    actions = privacy.add_subparsers(dest="privacy_command", required=True)
    erase_command = actions.add_parser(
        "erase", help="destroy a dossier's data key: its applicant becomes unreadable everywhere")
    erase_command.add_argument("code", help="the dossier's code")
    erase_command.add_argument("--reason", required=True,
                               help="the retention rule or the lawful request's reference "
                                    "(recorded in the event and the key store: no personal "
                                    "details)")
    erase_command.add_argument("--lawful-request", action="store_true",
                               help="erase before the end of the retention period, as the law "
                                    "orders (Decree 13/2023, art. 16)")
    erase_command.add_argument("--by", default=None,
                               help="the administrator's login, the name in the token "
                                    "(default: $USER)")
    erase_command.add_argument("--json", action="store_true")
    sweep = actions.add_parser("sweep", help="erase every ended dossier whose retention period "
                                             "is over")
    sweep.add_argument("--reason", default="hết thời hạn lưu trữ (retention period over)")
    sweep.add_argument("--by", default=None)
    sweep.add_argument("--dry-run", action="store_true", help="list them, erase nothing")
    actions.add_parser("master-key", help="print a new master key (base64, 32 bytes) for "
                                          "MOTCUA_PRIVACY_MASTER_KEY or its _FILE")
    rewrap_command = actions.add_parser(
        "rewrap", help="wrap every living data key under a new master key (from the current "
                       "one, MOTCUA_PRIVACY_MASTER_KEY or its _FILE); then give the services the "
                       "new key and destroy the old")
    rewrap_command.add_argument("new_key_file", help="a file holding the new master key")


def run(args: argparse.Namespace, stack: stackfile.Stack, data_dir: Path) -> int:
    if args.privacy_command == "master-key":
        print(generate_master_key())
        return 0
    if args.privacy_command == "rewrap":
        return _rewrap(args, stack.database_url)
    if not stack.api_url:
        raise SystemExit("no running intake API: start `motcua up` or set MOTCUA_API_URL")
    token = mint(data_dir, Officer(args.by or getpass.getuser(), "*", "admin"), hours=0.25)
    if args.privacy_command == "sweep":
        return _sweep(args, stack.api_url, token)
    try:
        erased = erase(stack.api_url, token, args.code, reason=args.reason,
                       lawful_request=args.lawful_request)
    except ErasureRefused as refused:
        raise SystemExit(f"not erased: {refused}") from None
    if args.json:
        print(json.dumps(erased))
    else:
        print(f"erased the personal data of dossier {erased['code']} ({erased['dossier_id']}) "
              f"at {erased['erased_at']}; intake queued event {erased['event_id']}")
    return 0


def _sweep(args: argparse.Namespace, api_url: str, token: str) -> int:
    try:
        codes = due(api_url, token)
    except ErasureRefused as refused:
        raise SystemExit(f"cannot list the dossiers due: {refused}") from None
    failed = 0
    for code in codes:
        if args.dry_run:
            print(code)
            continue
        try:
            erase(api_url, token, code, reason=args.reason, lawful_request=False)
            print(f"erased {code}")
        except ErasureRefused as refused:
            failed += 1
            print(f"not erased {code}: {refused}")
    return 1 if failed else 0


def _rewrap(args: argparse.Namespace, database_url: str | None) -> int:
    if not database_url:
        raise SystemExit("no database: start `motcua up` or set DATABASE_URL")
    from motcua_cli.keys import privacy_master_key
    from motcua_privacy import MASTER_KEY_FILE_ENV, master_key_from_env

    try:
        new = master_key_from_env({MASTER_KEY_FILE_ENV: args.new_key_file})
        count = asyncio.run(rewrap(database_url, privacy_master_key(), new))
    except PrivacyProblem as problem:
        raise SystemExit(f"not rewrapped: {problem}") from None
    print(f"{count} data keys wrapped under the new master key: give it to intake, signing "
          "and delivery (MOTCUA_PRIVACY_MASTER_KEY_FILE), restart them, then destroy the "
          "old one")
    return 0
