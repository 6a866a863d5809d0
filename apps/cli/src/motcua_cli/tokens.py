"""`motcua tokens`: the token issuer's key and the officers' and administrators' tokens it signs.

    motcua tokens init                                  the issuer key pair, if there is none
    motcua tokens admin   [--name N] [--hours 12]       print an administrator's token
    motcua tokens officer --agency STP --role appraisal [--name N] [--hours 12]
    motcua tokens rotate                                a new issuer key (the old one still
                                                        verifies until its tokens expire)

The private key (`<data>/tokens/issuer.pem`, or MOTCUA_TOKEN_ISSUER_PRIVATE_KEY) stays where
tokens are issued; services get only `issuer.pub` (MOTCUA_TOKEN_ISSUER_PUBLIC_KEY). Services'
own tokens are not minted here: each signs its own with its event key (motcua_runtime.tokens)."""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from motcua_runtime import issuer_keys
from motcua_runtime.issuer_keys import IssuerKeyProblem
from motcua_runtime.officers import OFFICER_ROLES, TOKEN_AUDIENCE, TOKEN_ISSUER, Officer
from motcua_runtime.tokens import IssuerKey

PRIVATE_KEY_ENV = "MOTCUA_TOKEN_ISSUER_PRIVATE_KEY"


def tokens_dir(data_dir: Path) -> Path:
    return data_dir / "tokens"


def public_key_path(data_dir: Path) -> Path:
    return tokens_dir(data_dir) / issuer_keys.PUBLIC_FILE


def ensure_issuer(data_dir: Path) -> Path:
    """The public key file `motcua up` gives services: MOTCUA_TOKEN_ISSUER_PUBLIC_KEY when set
    (tokens come from an issuer elsewhere), else the data folder's pair, made if missing."""
    configured = os.environ.get("MOTCUA_TOKEN_ISSUER_PUBLIC_KEY")
    if configured:
        return Path(configured)
    issuer_keys.create(tokens_dir(data_dir))
    return public_key_path(data_dir)


def issuer_key(data_dir: Path) -> IssuerKey:
    """The issuer's private key, from MOTCUA_TOKEN_ISSUER_PRIVATE_KEY or the data folder, with
    the `iss`/`aud` the services expect (MOTCUA_TOKEN_ISSUER / MOTCUA_TOKEN_AUDIENCE)."""
    configured = os.environ.get(PRIVATE_KEY_ENV)
    path = Path(configured) if configured else tokens_dir(data_dir) / issuer_keys.PRIVATE_FILE
    try:
        key = issuer_keys.load_private_key(path)
    except IssuerKeyProblem as problem:
        raise SystemExit(str(problem)) from None
    return IssuerKey(key, issuer=os.environ.get("MOTCUA_TOKEN_ISSUER") or TOKEN_ISSUER,
                     audience=os.environ.get("MOTCUA_TOKEN_AUDIENCE") or TOKEN_AUDIENCE)


def mint(data_dir: Path, officer: Officer, hours: float = 12) -> str:
    return issuer_key(data_dir).issue(officer, valid_for=timedelta(hours=hours))


def add_parser(commands: Any) -> None:
    tokens = commands.add_parser("tokens", help="the token issuer's key; officers' and "
                                                "administrators' tokens")
    actions = tokens.add_subparsers(dest="tokens_command", required=True)
    actions.add_parser("init", help="create the issuer key pair in the data folder")
    actions.add_parser("rotate", help="a new issuer key; issuer.pub keeps the previous one")
    admin = actions.add_parser("admin", help="print an administrator's token (all agencies)")
    officer = actions.add_parser("officer", help="print an officer's token")
    officer.add_argument("--agency", required=True, help="the officer's agency, e.g. STP")
    officer.add_argument("--role", required=True, choices=OFFICER_ROLES)
    for parser in (admin, officer):
        parser.add_argument("--name", default=getpass.getuser(), help="the user's name")
        parser.add_argument("--hours", type=float, default=12, help="validity (default 12)")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    directory = tokens_dir(data_dir)
    try:
        if args.tokens_command == "init":
            private, created = issuer_keys.create(directory)
            print(f"issuer key {'created' if created else 'already there'}: {private} "
                  f"(keep it here); give services {public_key_path(data_dir)} as "
                  "MOTCUA_TOKEN_ISSUER_PUBLIC_KEY")
        elif args.tokens_command == "rotate":
            kid = issuer_keys.rotate(directory)
            print(f"new issuer key {kid}; {public_key_path(data_dir)} keeps the previous one: "
                  "give services the new file (they read it at start)")
        elif args.tokens_command == "admin":
            print(mint(data_dir, Officer(args.name, "*", "admin"), args.hours))
        else:
            print(mint(data_dir, Officer(args.name, args.agency, args.role), args.hours))
    except IssuerKeyProblem as problem:
        raise SystemExit(str(problem)) from None
    return 0
