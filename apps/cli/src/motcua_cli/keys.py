"""`motcua keys`: the signing keys of this installation's service instances and their registry
(see motcua_runtime.keys): create them for development, list, rotate, revoke, and encrypt the
private keys of a folder made before they were encrypted at rest."""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

from motcua_runtime.keys import (
    DEV_PASSPHRASE,
    PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
    KeyProblem,
    KeyRegistry,
    encrypt_keys,
    load_registry,
    passphrase_from_env,
    private_key_path,
    revoke,
    rotate,
)


def key_passphrase() -> str:
    """MOTCUA_KEY_PASSPHRASE or MOTCUA_KEY_PASSPHRASE_FILE, else the published development one
    (services refuse it outside development, motcua_runtime.placeholders)."""
    return passphrase_from_env() or DEV_PASSPHRASE


def own_key_env(keys_dir: Path, registry: KeyRegistry, stage: str,
                agency: str | None) -> dict[str, str]:
    """A service process's own private key, `<STAGE>_SIGNING_KEY` (the stage's settings
    prefix), the only private key file it is told of; nothing for one without a key (the
    audit archive and the operations view sign nothing)."""
    own = registry.current(stage, agency)
    if own is None:
        return {}
    return {f"{stage.upper()}_SIGNING_KEY": str(private_key_path(keys_dir, own.key_id))}


def passphrase_env() -> dict[str, str]:
    """What a child process must be given to read keys written with `key_passphrase()`:
    nothing when the environment says it already (it inherits that), else the development
    passphrase."""
    if passphrase_from_env() is not None:
        return {}
    return {PASSPHRASE_ENV: DEV_PASSPHRASE}


def privacy_master_key_env() -> dict[str, str]:
    """What a child process must be given to seal and open personal data: nothing when the
    environment names a master key (it inherits it), else the published development one."""
    from motcua_privacy import DEV_MASTER_KEY, MASTER_KEY_ENV, MASTER_KEY_FILE_ENV

    if os.environ.get(MASTER_KEY_ENV) or os.environ.get(MASTER_KEY_FILE_ENV):
        return {}
    return {MASTER_KEY_ENV: DEV_MASTER_KEY}


def privacy_master_key() -> bytes:
    """The master key the CLI seals with: the environment's, else the published development
    one that `motcua up` gives its services (privacy_master_key_env)."""
    from motcua_privacy import master_key_from_env

    return master_key_from_env({**os.environ, **privacy_master_key_env(),
                                **({"MOTCUA_ENV": "development"} if privacy_master_key_env()
                                   else {})})


def add_parser(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser("keys", help="signing keys and their registry")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    init = actions.add_parser("init", help="create a key for each stage (and agency instance) "
                                           "that has none; each shared key may sign for every "
                                           "agency but those given an --instance (a shared key "
                                           "of another scope is replaced)")
    init.add_argument("--instance", action="append", default=[], metavar="STAGE:AGENCY",
                      help="also create a key for an agency's own instance (repeatable)")
    actions.add_parser("list", help="show the registry")
    rotate_ = actions.add_parser("rotate", help="give an instance a new key; the old one stops "
                                                "signing after --grace-hours")
    rotate_.add_argument("instance", metavar="STAGE[.AGENCY]")
    rotate_.add_argument("--grace-hours", type=float, default=24.0)
    revoke_ = actions.add_parser("revoke", help="revoke a key from a time on (default now)")
    actions.add_parser("encrypt", help=f"encrypt the private keys still written in clear, under "
                                       f"{PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}")
    revoke_.add_argument("key_id")
    revoke_.add_argument("--at", type=_moment, help="ISO time with offset, e.g. "
                                                    "2026-05-01T08:00:00+07:00")


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO time") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no UTC offset")
    return moment


def run(args: argparse.Namespace, keys_dir: Path, agencies: dict[str, list[str]]) -> int:
    from motcua_cli.up import ensure_dev_keys

    # soft_wrap: a path is printed whole on one line, so it can be copied whatever the terminal.
    console = Console(highlight=False, soft_wrap=True)
    try:
        if args.keys_command == "init":
            created = ensure_dev_keys(keys_dir, agencies)
            console.print(f"keys in {keys_dir}: "
                          + (f"created {', '.join(created)}" if created else "nothing to create"))
        elif args.keys_command == "list":
            show(keys_dir, console)
        elif args.keys_command == "rotate":
            service, _, agency = args.instance.partition(".")
            record = rotate(keys_dir, service, agency or None,
                            grace=timedelta(hours=args.grace_hours), passphrase=key_passphrase())
            console.print(f"new key {record.key_id} (encrypted); give {record.instance} the file "
                          f"{keys_dir / 'private' / (record.key_id + '.pem')} and the updated "
                          f"registry, and restart it within {args.grace_hours:g} hours")
        elif args.keys_command == "revoke":
            record = revoke(keys_dir, args.key_id, args.at)
            console.print(f"{record.key_id} revoked from {record.revoked_at.isoformat()}")
        elif args.keys_command == "encrypt":
            if passphrase_from_env() is None:
                raise KeyProblem(f"set {PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV}: the keys are "
                                 "encrypted under it, and every service needs it to read them")
            encrypted = encrypt_keys(keys_dir)
            console.print(f"keys in {keys_dir}: " + (f"encrypted {', '.join(encrypted)}"
                                                     if encrypted else "all already encrypted"))
        if args.keys_command in ("init", "rotate") and passphrase_from_env() is None:
            console.print(f"private keys encrypted with the development passphrase; set "
                          f"{PASSPHRASE_ENV} or {PASSPHRASE_FILE_ENV} for your own")
    except KeyProblem as problem:
        raise SystemExit(str(problem)) from None
    return 0


def show(keys_dir: Path, console: Console) -> None:
    registry = load_registry(keys_dir)
    now = datetime.now(timezone.utc)
    table = Table(title=f"Key registry {registry.path}", title_justify="left")
    for column in ("key id", "service", "may sign for", "valid from", "valid until",
                   "revoked", "now"):
        table.add_column(column)
    for record in sorted(registry.keys.values(), key=lambda r: (r.instance, r.key_id)):
        problem = record.problem_at(now)
        table.add_row(record.key_id, record.service, str(record.scope),
                      record.valid_from.isoformat(), _iso(record.valid_until),
                      _iso(record.revoked_at), "[red]not valid[/]" if problem else "valid")
    console.print(table)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "-"
