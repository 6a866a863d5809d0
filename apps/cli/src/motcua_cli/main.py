"""`motcua`: the command line of the whole system."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from motcua_cli import calendar as calendar_cli
from motcua_cli import catalogue as catalogue_cli
from motcua_cli import stackfile
from motcua_cli.access_log import add_access_log_command, run_access_log
from motcua_cli.dlq import add_dlq_command, run_dlq
from motcua_cli.embedded import default_data_dir
from motcua_cli.officer import add_officer_command, run_officer
from motcua_cli.outbox import add_outbox_command, run_outbox
from motcua_cli.report import add_report_command, run_report
from motcua_cli.trace import add_trace_command, run_trace

# The post office runs its own delivery instance, so results sent by post visibly cross agencies.
DEFAULT_INSTANCES = ["delivery:BUUDIEN"]
# What `add_subparsers` returns: each add_*_command adds its parser(s) to it.
Commands = argparse._SubParsersAction


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
    return run(build_parser().parse_args(argv))


# -- the parser: one function per command or group of commands --------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="data folder of the embedded default (env MOTCUA_DATA_DIR)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_up_command(commands)
    add_demo_command(commands)
    add_bench_command(commands)
    add_stack_command(commands)
    add_pki_command(commands)
    add_setup_commands(commands)
    add_officer_command(commands)
    add_report_command(commands)
    add_access_log_command(commands)
    add_outbox_command(commands)
    add_dlq_command(commands)
    add_trace_command(commands)
    calendar_cli.register(commands)
    catalogue_cli.register(commands)
    add_procedures_command(commands)
    add_admin_commands(commands)
    return parser


def add_up_command(commands: Commands) -> None:
    up = commands.add_parser("up", help="run the whole system on this machine")
    up.add_argument("--api-port", type=int, default=int(os.environ.get("MOTCUA_API_PORT", 8000)))
    up.add_argument("--dashboard-port", type=int,
                    default=int(os.environ.get("MOTCUA_DASHBOARD_PORT", 8090)),
                    help="the operations dashboard (a free port if this one is taken)")
    up.add_argument("--workspace-port", type=int,
                    default=int(os.environ.get("MOTCUA_WORKSPACE_PORT", 8100)),
                    help="the officers' workspace (a free port if this one is taken)")
    up.add_argument("--instance", action="append", default=[], metavar="STAGE:AGENCY",
                    help="also run an agency's own instance of a stage (repeatable)")
    up.add_argument("--ready-timeout", type=float,
                    default=float(os.environ.get("MOTCUA_READY_TIMEOUT", 300)),
                    help="seconds each service may take to be ready (env MOTCUA_READY_TIMEOUT)")
    up.add_argument("--officers", action="store_true",
                    help="officers decide the stages each procedure assigns to them, from the "
                         "work queues (default: every stage runs its automatic policy)")


def add_demo_command(commands: Commands) -> None:
    demo = commands.add_parser("demo", help="file N sample dossiers and watch them flow")
    demo.add_argument("count", type=int, nargs="?", default=20)
    demo.add_argument("--incomplete", type=float, default=0.0,
                      help="share of dossiers filed without a required document (intake asks "
                           "for a supplement)")
    demo.add_argument("--timeout", type=float, default=600)


def add_bench_command(commands: Commands) -> None:
    bench = commands.add_parser(
        "bench", help="measure dossiers/s from submission to delivery (docs/performance.md)")
    bench.add_argument("count", type=int, nargs="?", default=None,
                       help="dossiers (the same as --dossiers; default 5000)")
    bench.add_argument("--dossiers", type=int, default=None, help="dossiers to run (default 5000)")
    bench.add_argument("--rate", type=float, default=None,
                       help="offer this many dossiers per second (open loop) instead of all at "
                            "once (closed loop)")
    bench.add_argument("--instances", default="", metavar="STAGE=K,...",
                       help="run K instances of a stage (the bench's own stack only), e.g. "
                            "signing=2")
    bench.add_argument("--json", nargs="?", const="-", default=None, metavar="FILE",
                       help="write the figures as JSON to FILE (stdout without FILE)")
    bench.add_argument("--plot", type=Path, default=None, metavar="FILE",
                       help="draw throughput, latency and CPU per dossier into a PNG")
    bench.add_argument("--timeout", type=float, default=900,
                       help="seconds to wait for the deliveries (default 900)")
    bench.add_argument("--no-ceiling", action="store_true",
                       help="skip measuring the broker's and Postgres's ceiling")


def add_stack_command(commands: Commands) -> None:
    stack = commands.add_parser("stack", help="show what `motcua up` is running")
    stack.add_argument("--json", action="store_true")


def add_pki_command(commands: Commands) -> None:
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


def add_setup_commands(commands: Commands) -> None:
    """`migrate` and `topics`: what a deployment runs before the services."""
    commands.add_parser("migrate", help="run every service's migrations, then create or update "
                                       "the services' database roles (needs DATABASE_URL)")
    topics = commands.add_parser("topics", help="create the topics (needs KAFKA_BOOTSTRAP_SERVERS)")
    topics.add_argument("--partitions", type=int, default=12)


def add_procedures_command(commands: Commands) -> None:
    procedures = commands.add_parser("procedures", help="list the catalogue of procedures")
    procedures.add_argument("--json", action="store_true")


def add_admin_commands(commands: Commands) -> None:
    """keys, tokens, audit, chaos, contracts, privacy, portal: each module adds its own
    parser."""
    from motcua_cli import audit, chaos, contracts, keys, legacy, portal, privacy, tokens

    keys.add_parser(commands)
    legacy.add_parser(commands)
    tokens.add_parser(commands)
    audit.add_parser(commands)
    chaos.add_parser(commands)
    contracts.add_parser(commands)
    privacy.add_parser(commands)
    portal.add_parser(commands)


# -- running a command: first those that need no running stack, then those that read it -------

def run(args: argparse.Namespace) -> int:
    alone = WITHOUT_STACK.get(args.command)
    if alone is not None:
        return alone(args)
    current = stackfile.read(args.data_dir)
    with_stack = WITH_STACK.get(args.command)
    return with_stack(args, current) if with_stack is not None else 2


def run_procedures(args: argparse.Namespace) -> int:
    from motcua_cli.procedures import show

    return show(args.json)


def run_keys(args: argparse.Namespace) -> int:
    from motcua_cli import keys
    from motcua_cli.up import keys_dir_of

    # The instances `motcua up` would run: the shared keys' scopes must be the same, or
    # each `keys init` and `up` would replace the other's shared keys.
    instances = [*DEFAULT_INSTANCES, *args.instance] if args.keys_command == "init" else []
    return keys.run(args, keys_dir_of(args.data_dir), _agency_instances(instances))


def run_tokens(args: argparse.Namespace) -> int:
    from motcua_cli import tokens

    return tokens.run(args, args.data_dir)


def run_chaos(args: argparse.Namespace) -> int:
    from motcua_cli import chaos

    return chaos.run(args)


def run_contracts(args: argparse.Namespace) -> int:
    from motcua_cli import contracts

    return contracts.run(args)


def run_up(args: argparse.Namespace) -> int:
    from motcua_cli.up import up

    return up(args.data_dir, api_port=args.api_port,
                  agencies=_agency_instances([*DEFAULT_INSTANCES, *args.instance]),
                  officers=args.officers, dashboard_port=args.dashboard_port,
                  workspace_port=args.workspace_port, ready_timeout=args.ready_timeout)


def run_pki(args: argparse.Namespace) -> int:
    from motcua_cli import pki as pki_cli

    if args.pki_command == "init":
        return pki_cli.init(args.data_dir)
    if args.pki_command == "rotate":
        return pki_cli.rotate_agency(args.data_dir, args.agency)
    from motcua_signing.bench import main as sealing_bench

    return sealing_bench([str(args.count)] + (["--json"] if args.json else []))


def run_portal(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_cli import portal

    return portal.run(args, current)


def run_import_legacy(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_cli import legacy
    from motcua_cli.keys import key_passphrase, privacy_master_key
    from motcua_cli.up import keys_dir_of

    return legacy.run(args, current, keys_dir_of(args.data_dir), key_passphrase(),
                      privacy_master_key())


def run_audit(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_cli import audit
    from motcua_cli.up import keys_dir_of

    return audit.run(args, current, args.data_dir, keys_dir_of(args.data_dir))


def run_demo(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_cli.demo import demo

    api = _require(current.api_url, "running API", "MOTCUA_API_URL")
    return asyncio.run(demo(api, args.count, incomplete_share=args.incomplete,
                            timeout=args.timeout))


def run_bench(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_cli.bench import bench, show
    from motcua_cli.bench_stack import agency_instances, own_stack, parse_instances
    from motcua_cli.keys import key_passphrase
    from motcua_cli.up import keys_dir_of
    from motcua_contracts import DOSSIER_TOPIC
    from motcua_runtime.keys import KeyProblem, signer_for

    count = args.dossiers or args.count or 5000
    if count < 1:
        raise SystemExit("--dossiers: at least 1")
    if args.rate is not None and args.rate <= 0:
        raise SystemExit("--rate: dossiers per second, more than 0")
    instances = parse_instances(args.instances)
    topic = os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC)

    def run_on(stack: stackfile.Stack, data_dir: Path) -> dict[str, object]:
        try:  # the bench files dossiers as intake would: with intake's key, as `up` wrote it
            signer = signer_for(keys_dir_of(data_dir), "intake", None,
                                passphrase=key_passphrase())
        except KeyProblem as problem:
            raise SystemExit(str(problem)) from None
        return asyncio.run(bench(stack, topic, count, signer=signer, timeout=args.timeout,
                                 rate=args.rate, ceiling=not args.no_ceiling,
                                 instances=instances))

    if current.kafka_bootstrap_servers:
        if instances:
            raise SystemExit("--instances: a running stack runs the instances `motcua up "
                             "--instance` gave it; stop it (or unset KAFKA_BOOTSTRAP_SERVERS) "
                             "and the bench starts its own")
        print("bench: on the running stack", file=sys.stderr)
        result = run_on(current, args.data_dir)
    else:
        agencies = _agency_instances(DEFAULT_INSTANCES)  # as `motcua up` runs them
        for stage, own in agency_instances(instances).items():
            agencies[stage] = [*agencies.get(stage, []), *own]
        with own_stack(agencies) as (stack, data_dir):
            result = run_on(stack, data_dir)
    if args.json == "-":
        print(json.dumps(result))
    else:
        show(result)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
            print(f"figures: {args.json}")
    if args.plot:
        from motcua_cli.bench_plot import plot

        print(f"plot: {plot(result, args.plot)}", file=sys.stderr)
    return 0 if result["delivered"] == count else 1


def run_privacy(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_cli import privacy

    return privacy.run(args, current, args.data_dir)


def run_stack(args: argparse.Namespace, current: stackfile.Stack) -> int:
    if args.json:
        print(json.dumps(current.public(), indent=2))
    else:
        for key, value in current.public().items():
            print(f"{key}: {value}")
    return 0


def run_migrate(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_cli.db_roles import ensure_roles
    from motcua_cli.up import migrate_all
    from motcua_runtime.placeholders import environment_problems

    # The roles' passwords come from these URLs: a placeholder would become the real one.
    problems = environment_problems(os.environ)
    if problems:
        raise SystemExit("refusing to migrate (MOTCUA_ENV is not development):\n  - "
                         + "\n  - ".join(problems))
    admin_url = _require(current.database_url, "database", "DATABASE_URL")
    migrate_all(admin_url)
    ensure_roles(admin_url, args.data_dir)
    return 0


def run_topics(args: argparse.Namespace, current: stackfile.Stack) -> int:
    from motcua_contracts import DLQ_SUFFIX, DOSSIER_TOPIC
    from motcua_runtime.kafka import create_topics

    topic = os.environ.get("DOSSIER_TOPIC", DOSSIER_TOPIC)
    created = asyncio.run(create_topics(
        _require(current.kafka_bootstrap_servers, "broker", "KAFKA_BOOTSTRAP_SERVERS"),
        topic, topic + DLQ_SUFFIX, partitions=args.partitions))
    print("created: " + (", ".join(created) or "nothing (they exist)"))
    return 0


WITHOUT_STACK: dict[str, Callable[[argparse.Namespace], int]] = {
    "procedures": run_procedures, "keys": run_keys, "tokens": run_tokens, "chaos": run_chaos,
    "contracts": run_contracts, "up": run_up, "pki": run_pki,
}
WITH_STACK: dict[str, Callable[[argparse.Namespace, stackfile.Stack], int]] = {
    "officer": lambda args, current: run_officer(args, args.data_dir, current),
    "outbox": run_outbox, "dlq": run_dlq, "report": run_report, "access-log": run_access_log,
    "trace": run_trace,
    "calendar": calendar_cli.run, "catalogue": catalogue_cli.run, "audit": run_audit,
    "import-legacy": run_import_legacy,
    "demo": run_demo, "bench": run_bench,
    "stack": run_stack, "migrate": run_migrate, "topics": run_topics, "privacy": run_privacy,
    "portal": run_portal,
}


if __name__ == "__main__":
    sys.exit(main())
