"""`motcua calendar`: the appointment intake would give, and the administrator's overrides.

The overrides are read from the running stack's database (`motcua up`'s stack file,
`DATABASE_URL` or `--database-url`), so `due` answers what the running system answers. With no
database configured at all, `due` and `list` say so on stderr and use the statutory holidays and
the shipped government decisions only; a configured database that cannot be reached is an error
(exit 1), since a silently different appointment would be worse than none."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date, datetime

from sqlalchemy.exc import DBAPIError

from motcua_cli.stackfile import Stack

USAGE_ERROR = 2


class UsageError(Exception):
    """A bad argument: printed as one line, exit 2."""


def register(commands: argparse._SubParsersAction) -> None:
    calendar = commands.add_parser("calendar", help="appointments and calendar overrides")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="the stack's database (default: the running "
                                               "stack's, or DATABASE_URL)")
    actions = calendar.add_subparsers(dest="action", required=True)
    due = actions.add_parser("due", help="the appointment intake would give", parents=[common])
    due.add_argument("procedure_code")
    due.add_argument("received_at", help="ISO 8601, e.g. 2026-02-13T16:30:00+07:00 "
                                         "(no offset: Vietnam time)")
    due.add_argument("--json", action="store_true")
    change = actions.add_parser("set", help="make a date a working day or a day off",
                                parents=[common])
    change.add_argument("day", metavar="YYYY-MM-DD")
    change.add_argument("status", metavar="working|off")
    change.add_argument("--reason")
    remove = actions.add_parser("unset", help="remove a date's override", parents=[common])
    remove.add_argument("day", metavar="YYYY-MM-DD")
    listing = actions.add_parser("list", help="a year's days off, extra working days, overrides",
                                 parents=[common])
    listing.add_argument("year")
    listing.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, stack: Stack) -> int:
    database_url = args.database_url or stack.database_url
    try:
        return asyncio.run(_run(args, database_url))
    except UsageError as error:
        print(f"motcua calendar {args.action}: {error}", file=sys.stderr)
        return USAGE_ERROR
    except (OSError, DBAPIError) as error:
        reason = str(error).splitlines()[0]
        print(f"motcua calendar {args.action}: database unavailable: {reason}", file=sys.stderr)
        return 1


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date like 2026-02-14") from None
    _year(str(day.year))
    return day


def _moment(text: str) -> datetime:
    from motcua_catalogue import VIETNAM

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"RECEIVED_AT {text!r} is not ISO 8601, e.g. "
                         "2026-02-13T16:30:00+07:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def _procedure(code: str):
    from motcua_catalogue.catalogue import default_catalogue

    procedure = default_catalogue().procedures.get(code)
    if procedure is None:
        raise UsageError(f"no procedure {code!r}; see `motcua procedures`")
    return procedure


def _year(text: str) -> int:
    from motcua_catalogue.days_off import LAST_YEAR

    if not text.isdigit() or not 2021 <= int(text) <= LAST_YEAR:
        raise UsageError(f"YEAR {text!r}: expected a year from 2021 to {LAST_YEAR}")
    return int(text)


async def _run(args: argparse.Namespace, database_url: str | None) -> int:
    from motcua_catalogue.calendar_store import OverrideStore
    from motcua_runtime.db import create_engine

    if args.action == "set" and args.status not in ("working", "off"):
        raise UsageError(f"{args.status!r}: expected `working` or `off`")
    day = _day(args.day) if args.action in ("set", "unset") else None
    if args.action == "list":
        _year(args.year)  # bad arguments first, before any word about the database
    if args.action == "due":
        _moment(args.received_at)
        _procedure(args.procedure_code)
    if not database_url:
        if args.action in ("set", "unset"):
            raise UsageError("no database: start `motcua up`, set DATABASE_URL or pass "
                             "--database-url")
        print("no running stack: statutory holidays and government decisions only, without "
              "the administrator's overrides", file=sys.stderr)
        return await _read_only(args, None)
    engine = create_engine(database_url, pool_size=1)
    try:
        store = OverrideStore(engine)
        if args.action == "set":
            working = args.status == "working"
            reason = args.reason or ("extra working day" if working else "extra day off")
            decision = await store.set(day, working, reason)
            print(f"{decision.day} {'working' if working else 'off'}: {decision.reason}")
            return 0
        if args.action == "unset":
            if not await store.remove(day):
                print(f"no override on {args.day}", file=sys.stderr)
                return 1
            print(f"{args.day}: override removed")
            return 0
        return await _read_only(args, store)
    finally:
        await engine.dispose()


async def _read_only(args: argparse.Namespace, store) -> int:
    from motcua_catalogue import VIETNAM, WorkingCalendar
    from motcua_catalogue.catalogue import default_catalogue
    from motcua_catalogue.year_calendar import exceptional_days

    if args.action == "list":
        year = _year(args.year)
        overrides = {d.day: d for d in await store.list(year)} if store else {}
        days = exceptional_days(year, overrides)
        if args.json:
            print(json.dumps([{"date": d.day.isoformat(), "working": d.working,
                               "reason": d.reason, "source": d.source} for d in days],
                             ensure_ascii=False, indent=2))
        for d in [] if args.json else days:
            print(f"{d.day} {d.day:%a} {'working' if d.working else 'off':7} "
                  f"{d.source:10} {d.reason}")
        return 0
    catalogue = default_catalogue()
    procedure = _procedure(args.procedure_code)
    received_at = _moment(args.received_at)
    # The lead agency's office hours, as intake counts the appointment.
    calendar = WorkingCalendar(catalogue.agencies[procedure.agency].office_hours,
                               await store.load_all() if store else {})
    due = calendar.due_at(received_at, procedure.limit_value, procedure.limit_unit)
    if args.json:
        print(json.dumps({"procedure_code": procedure.code,
                          "received_at": received_at.astimezone(VIETNAM).isoformat(),
                          "due_at": due.isoformat()}))
    else:
        print(due.isoformat())
    return 0
