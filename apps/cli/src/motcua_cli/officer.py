"""`motcua officer`: an officer's work queue from a terminal.

    motcua officer add     --agency STP --role appraisal [--role approval] --name an
                           [--full-name "Nguyễn Văn An"] [--password-file F]
                           an account of the officers' workspace (password from a prompt)
    motcua officer change  --name an [--role appraisal ...] [--full-name "…"] [--password]
                           [--disable | --enable]
                           its roles (all of them, replacing the old), its full name; a new
                           password (from a prompt, or stdin's first line when it is not a
                           terminal: never from the command line), its sessions ended;
                           disabled, it cannot sign in and its sessions end; enabled again
    motcua officer token   --agency STP --role appraisal [--name an]     print a token
    motcua officer queue   --agency STP --stage appraisal [--state open]
    motcua officer claim   ITEM --agency STP --stage appraisal
    motcua officer decide  ITEM DECISION --agency STP --stage appraisal [--reason TEXT]
                           [--set field=value ...]

The token is signed with the token issuer's key (`motcua tokens`; the data folder's on the
embedded default), or pass one issued by the province's identity provider in MOTCUA_TOKEN. Each
command is one HTTP call to the stage instance that serves the agency (found in the stack file),
documented in the README."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from motcua_cli.stackfile import Stack
from motcua_cli.tokens import mint
from motcua_runtime.officers import ROLES, Officer

STAGES = ("appraisal", "approval", "signing", "delivery")


def add_officer_command(commands: Any) -> None:
    officer = commands.add_parser("officer", help="an officer's work queue from the terminal")
    actions = officer.add_subparsers(dest="action", required=True)

    def identity(parser: argparse.ArgumentParser, *, stage: bool = True) -> None:
        parser.add_argument("--agency", required=True, help="your agency's code, e.g. STP")
        parser.add_argument("--name", default=getpass.getuser(), help="your user name")
        if stage:
            parser.add_argument("--stage", required=True, choices=STAGES,
                                help="the stage whose queue you work (your role)")

    add = actions.add_parser("add", help="create an officer's account of the workspace")
    add.add_argument("--agency", required=True, help="the officer's agency, e.g. STP")
    add.add_argument("--role", required=True, action="append", choices=ROLES,
                     help="a role (repeatable): the stage whose queue they work, or manager...")
    add.add_argument("--name", required=True, help="the user name they sign in with")
    add.add_argument("--full-name", help="as the pages show it (default: the user name)")
    add.add_argument("--password-file", type=Path,
                     help="read the password from this file (default: a prompt)")
    change = actions.add_parser("change", help="change a workspace account: its roles, its "
                                               "full name, its password, disabled or enabled")
    change.add_argument("--name", required=True, help="the account's user name")
    change.add_argument("--role", action="append", choices=ROLES,
                        help="a role (repeatable): the account's roles become these")
    change.add_argument("--full-name", help="as the pages show it")
    change.add_argument("--password", action="store_true",
                        help="set a new password, read from a prompt (twice), or from the "
                             "first line of stdin when it is not a terminal; the account's "
                             "sessions (workspace, wallboard) end")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--disable", dest="active", action="store_false", default=None,
                       help="it cannot sign in any more; its sessions end now")
    state.add_argument("--enable", dest="active", action="store_true", default=None,
                       help="it can sign in again (with its password)")
    token = actions.add_parser("token", help="print a token for the embedded default")
    identity(token, stage=False)
    token.add_argument("--role", required=True, choices=ROLES)
    token.add_argument("--hours", type=float, default=12)
    queue = actions.add_parser("queue", help="list your agency's items at a stage")
    identity(queue)
    queue.add_argument("--state", default="open", choices=("open", "waiting", "done", "all"))
    queue.add_argument("--json", action="store_true")
    claim = actions.add_parser("claim", help="claim an item")
    identity(claim)
    claim.add_argument("item")
    decide = actions.add_parser("decide", help="take a decision on an item")
    identity(decide)
    decide.add_argument("item")
    decide.add_argument("decision", help="e.g. recommend, approve, deny, return, sign, deliver")
    decide.add_argument("--reason", help="sets `reason` (and `findings` for a recommendation)")
    decide.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="another field of the decision (JSON values allowed)")


def run_officer(args: argparse.Namespace, data_dir: Path, stack: Stack) -> int:
    console = Console()
    if args.action == "token":
        print(_token(data_dir, Officer(args.name, args.agency, args.role), args.hours))
        return 0
    if args.action == "add":
        return _add_account(args, stack)
    if args.action == "change":
        return _change_account(args, stack)
    base = _queue_url(stack, args.stage, args.agency)
    headers = {"Authorization": "Bearer " + (os.environ.get("MOTCUA_TOKEN") or _token(
        data_dir, Officer(args.name, args.agency, args.stage)))}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        if args.action == "queue":
            response = client.get("/api/work-items", params={"state": args.state})
        elif args.action == "claim":
            response = client.post(f"/api/work-items/{args.item}/claim")
        else:
            response = client.post(f"/api/work-items/{args.item}/decisions/{args.decision}",
                                   json=_decision_body(args))
    if response.status_code >= 400:
        detail = response.json().get("detail", response.json()) if response.content else {}
        message = detail.get("message") if isinstance(detail, dict) else detail
        raise SystemExit(f"{response.status_code}: {message or response.text}")
    body = response.json()
    if args.action == "queue" and not args.json:
        console.print(_table(body))
    else:
        print(json.dumps(body, indent=2, ensure_ascii=False))
    return 0


def _add_account(args: argparse.Namespace, stack: Stack) -> int:
    """The account in the workspace schema of the running stack's database (DATABASE_URL
    otherwise); only the password's Argon2 hash is stored."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from motcua_runtime.db import create_engine
    from motcua_runtime.passwords import WeakPassword, check_strength
    from motcua_workspace.accounts import AccountRefused, add_account, check_account

    if not stack.database_url:
        raise SystemExit("no database: start `motcua up` first (or set DATABASE_URL)")
    full_name = args.full_name or args.name
    try:
        check_account(args.agency, args.role, args.name, full_name)
        password = _password(args.password_file)
        check_strength(password)
    except (AccountRefused, WeakPassword) as refusal:
        raise SystemExit(str(refusal)) from None

    async def create() -> None:
        engine = create_engine(stack.database_url or "")
        try:
            await add_account(async_sessionmaker(engine, expire_on_commit=False),
                              agency=args.agency, roles=args.role, user_name=args.name,
                              full_name=full_name, password=password)
        finally:
            await engine.dispose()

    try:
        asyncio.run(create())
    except AccountRefused as refusal:
        raise SystemExit(str(refusal)) from None
    print(f"account {args.name} ({args.agency}: {', '.join(args.role)}) created; "
          "sign in at the workspace (`motcua stack` shows its URL)")
    return 0


def _change_account(args: argparse.Namespace, stack: Stack) -> int:
    """The account changed in the running stack's database (DATABASE_URL otherwise)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from motcua_operations.signin import DEFAULT_LIMITS, StaffSessions
    from motcua_runtime.db import create_engine
    from motcua_runtime.passwords import WeakPassword, check_strength
    from motcua_workspace.accounts import AccountRefused, change_account

    if args.role is None and args.full_name is None and args.active is None \
            and not args.password:
        raise SystemExit("nothing to change: give --role, --full-name, --password, --disable "
                         "or --enable")
    if not stack.database_url:
        raise SystemExit("no database: start `motcua up` first (or set DATABASE_URL)")
    password = None
    if args.password:
        password = _new_password()
        try:
            check_strength(password)  # before asking the database anything
        except WeakPassword as refusal:
            raise SystemExit(str(refusal)) from None

    async def change() -> tuple[Any, int]:
        engine = create_engine(stack.database_url or "")
        try:
            sessions = async_sessionmaker(engine, expire_on_commit=False)
            account = await change_account(sessions, args.name, roles=args.role,
                                           full_name=args.full_name, active=args.active,
                                           password=password)
            # The workspace's sessions ended with the change; the wallboard keeps its own
            # (operations.sessions, for staff accounts): ended too, by its own code.
            ended = 0 if password is None else \
                await StaffSessions(sessions, DEFAULT_LIMITS).end_all(account.user_name)
            return account, ended
        finally:
            await engine.dispose()

    try:
        account, wallboard_sessions = asyncio.run(change())
    except AccountRefused as refusal:
        raise SystemExit(str(refusal)) from None
    state = "active" if account.active else "disabled (cannot sign in)"
    print(f"account {account.user_name} ({account.agency}: {', '.join(account.roles)}; "
          f"{account.full_name}) {state}")
    if password is not None:
        print(f"password changed; its sessions ended (the workspace's, and "
              f"{wallboard_sessions} of the wallboard's)")
    return 0


def _new_password() -> str:
    """A new password, never from the command line (it would stay in the shell's history and
    in the process list): twice at a prompt, or a script's stdin's first line."""
    if sys.stdin.isatty():
        return _password(None)
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("--password: stdin is empty; give the new password on its first line "
                         "(or run in a terminal to be asked)")
    return line.rstrip("\r\n")


def _password(path: Path | None) -> str:
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as error:
            raise SystemExit(f"cannot read {path}: {error.strerror or error}") from None
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("the two passwords differ")
    return first


def _token(data_dir: Path, officer: Officer, hours: float = 12) -> str:
    return mint(data_dir, officer, hours)


def _queue_url(stack: Stack, stage: str, agency: str) -> str:
    """The instance serving the agency: its own instance of the stage if it runs one."""
    services = stack.services or {}
    for name in (f"{stage}.{agency}", stage):
        url = services.get(name, {}).get("http_url")
        if url:
            return str(url)
    raise SystemExit(f"no {stage} work queue is running: start `motcua up` first")


def _decision_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.reason:
        body["reason"] = args.reason
        if args.decision == "recommend":
            body["findings"] = args.reason
        if args.decision == "answer":
            body["answer"] = args.reason
    for assignment in args.set:
        field, separator, value = assignment.partition("=")
        if not separator or not field:
            raise SystemExit(f"--set {assignment!r}: expected FIELD=VALUE")
        try:
            body[field] = json.loads(value)
        except json.JSONDecodeError:
            body[field] = value
    return body


def _table(items: list[dict[str, Any]]) -> Table:
    table = Table("item", "dossier", "kind", "procedure", "state", "due", "claimed by",
                  "decisions", title=f"{len(items)} item(s)")
    for item in items:
        due = (item.get("due_at") or "")[:16].replace("T", " ")
        table.add_row(item["id"], item["code"], item["kind"], item["procedure_code"],
                      item["state"] + (f" ({item['waiting_for']})" if item["waiting_for"] else ""),
                      f"[red]{due}[/]" if item["overdue"] else due, item["claimed_by"] or "",
                      ", ".join(item["decisions"]))
    return table
