"""`motcua`: the command line of the whole system."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from motcua_cli.embedded import default_data_dir
from motcua_cli import calendar as calendar_cli
from motcua_cli import stackfile
from motcua_cli.officer import add_officer_command, run_officer
from motcua_cli.report import add_report_command, run_report
from motcua_cli.trace import add_trace_command, run_trace


# The post office runs its own delivery instance, so results sent by post visibly cross agencies.
DEFAULT_INSTANCES = ["delivery:BUUDIEN"]


def _agency_instances(values: list[str]) -> dict[str, list[str]]:
    instances: dict[str, list[str]] = {}
    for value in values:
        stage, _, agency = value.partition(":")
        if not agency:
            raise SystemExit(f"--instance {value!r}: expected STAGE:AGENCY, e.g. appraisal:STP")
        if agency not in instances.setdefault(stage, []):
            instances[stage].append(agency)
    return instances


def _require(value: str | None, what: str, variable: str) -> str:
    if not value:
        raise SystemExit(f"no {what}: start `motcua up` or set {variable}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="data folder of the embedded default (env MOTCUA_DATA_DIR)")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the whole system on this machine")
    up.add_argument("--api-port", type=int, default=int(os.environ.get("MOTCUA_API_PORT", 8000)))
    up.add_argument("--dashboard-port", type=int,
                    default=int(os.environ.get("MOTCUA_DASHBOARD_PORT", 8090)),
                    help="the operations dashboard (a free port if this one is taken)")
    up.add_argument("--instance", action="append", default=[], metavar="STAGE:AGENCY",
                    help="also run an agency's own instance of a stage (repeatable)")
    up.add_argument("--officers", action="store_true",
                    help="officers decide the stages each procedure assigns to them, from the "
                         "work queues (default: every stage runs its automatic policy)")

    demo = commands.add_parser("demo", help="file N sample dossiers and watch them flow")
    demo.add_argument("count", type=int, nargs="?", default=20)
    demo.add_argument("--incomplete", type=float, default=0.0,
                      help="share of dossiers filed without a required document (intake asks "
                           "for a supplement)")
    demo.add_argument("--timeout", type=float, default=600)

    bench = commands.add_parser("bench", help="measure dossiers/s from submission to delivery")
    bench.add_argument("count", type=int, nargs="?", default=5000)
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")

    stack = commands.add_parser("stack", help="show what `motcua up` is running")
    stack.add_argument("--json", action="store_true")

    pki = commands.add_parser("pki", help="agency certificates: init, rotate, bench")
    pki_commands = pki.add_subparsers(dest="pki_command", required=True)
    pki_commands.add_parser("init", help="create the development PKI in the data folder "
                                         "(or SIGNING_PKI_DIR)")
    rotate = pki_commands.add_parser("rotate", help="issue an agency a new signing certificate")
    rotate.add_argument("agency", help="agency code, e.g. STP")
    pki_bench = pki_commands.add_parser("bench", help="result PDFs rendered and sealed per "
                                                      "second on one core")
    pki_bench.add_argument("count", type=int, nargs="?", default=200)
    pki_bench.add_argument("--json", action="store_true")

    commands.add_parser("migrate", help="run every service's migrations (needs DATABASE_URL)")
    topics = commands.add_parser("topics", help="create the topics (needs KAFKA_BOOTSTRAP_SERVERS)")
    topics.add_argument("--partitions", type=int, default=12)

    add_officer_command(commands)
    add_report_command(commands)
    add_trace_command(commands)
    calendar_cli.register(commands)
    procedures = commands.add_parser("procedures", help="list the catalogue of procedures")
    procedures.add_argument("--json", action="store_true")

    from motcua_cli import audit, keys

    keys.add_parser(commands)
    audit.add_parser(commands)

    args = parser.parse_args(argv)
    if args.command == "procedures":
        from motcua_cli.procedures import show

        return show(args.json)
    if args.command == "keys":
        from motcua_cli.up import keys_dir_of

        return keys.run(args, keys_dir_of(args.data_dir),
                        _agency_instances(args.instance) if args.keys_command == "init" else {})
    if args.command == "up":
        from motcua_cli.up import up as run_up

        return run_up(args.data_dir, api_port=args.api_port,
                      agencies=_agency_instances([*DEFAULT_INSTANCES, *args.instance]),
                      officers=args.officers, dashboard_port=args.dashboard_port)
    if args.command == "pki":
        from motcua_cli import pki as pki_cli

        if args.pki_command == "init":
            return pki_cli.init(args.data_dir)
        if args.pki_command == "rotate":
            return pki_cli.rotate_agency(args.data_dir, args.agency)
        from motcua_signing.bench import main as sealing_bench

        return sealing_bench([str(args.count)] + (["--json"] if args.json else []))
    current = stackfile.read(args.data_dir)
    if args.command == "officer":
        return run_officer(args, args.data_dir, current)
    if args.command == "report":
        return run_report(args, current)
    if args.command == "trace":
        return run_trace(args, current)
    if args.command == "calendar":
        return calendar_cli.run(args, current)
    if args.command == "audit":
        from motcua_cli.up import keys_dir_of

        return audit.run(args, current, args.data_dir, keys_dir_of(args.data_dir))
    if args.command == "demo":
        from motcua_cli.demo import demo as run_demo

        api = _require(current.api_url, "running API", "MOTCUA_API_URL")
        return asyncio.run(run_demo(api, args.count, incomplete_share=args.incomplete,
                                    timeout=args.timeout))
    if args.command == "bench":
        from motcua_cli.bench import bench as run_bench, show
        from motcua_contracts import DOSSIER_TOPIC

        _require(current.kafka_bootstrap_servers, "broker", "KAFKA_BOOTSTRAP_SERVERS")
        from motcua_cli.up import keys_dir_of
        from motcua_runtime.keys import KeyProblem, signer_for

        try:
            signer = signer_for(keys_dir_of(args.data_dir), "intake", None)
        except KeyProblem as problem:
            raise SystemExit(str(problem)) from None
        result = asyncio.run(run_bench(current, os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC),
                                       args.count, signer=signer))
        print(json.dumps(result)) if args.json else show(result)
        return 0 if result["delivered"] == args.count else 1
    if args.command == "stack":
        if args.json:
            print(json.dumps(current.public(), indent=2))
        else:
            for key, value in current.public().items():
                print(f"{key}: {value}")
        return 0
    if args.command == "migrate":
        from motcua_cli.up import migrate_all

        migrate_all(_require(current.database_url, "database", "DATABASE_URL"))
        return 0
    if args.command == "topics":
        from motcua_contracts import DLQ_SUFFIX, DOSSIER_TOPIC
        from motcua_runtime.kafka import create_topics

        topic = os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC)
        created = asyncio.run(create_topics(
            _require(current.kafka_bootstrap_servers, "broker", "KAFKA_BOOTSTRAP_SERVERS"),
            topic, topic + DLQ_SUFFIX, partitions=args.partitions))
        print("created: " + (", ".join(created) or "nothing (they exist)"))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
