"""Session fixtures: the real infrastructure. The embedded Postgres and the embedded Tansu broker
are started once per test session (or taken from MOTCUA_TEST_DATABASE_URL and
MOTCUA_TEST_KAFKA_BOOTSTRAP_SERVERS), and stopped at the end."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from motcua_cli.db_roles import require_passwords
from motcua_cli.embedded import (
    PORT_RANGE_ENV,
    EmbeddedBroker,
    EmbeddedPostgres,
    free_port,
    listen_range,
)
from motcua_privacy import MASTER_KEY_ENV, MASTER_KEY_FILE_ENV, generate_master_key
from motcua_runtime.kafka import MIN_SESSION_TIMEOUT_MS, SESSION_TIMEOUT_ENV
from motcua_runtime.keys import DEV_PASSPHRASE, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV
from tests.support import Infrastructure, create_test_keys

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FILE_WEIGHTS = Path(__file__).resolve().parent / "file_weights.json"

# The tests run on a catalogue of their own (the former sample, on the agencies of before the
# 2025 reforms), so that they name its agencies and procedures whatever the province's shipped
# catalogue becomes; the stacks they start inherit it. The shipped catalogue has tests of its
# own (tests/catalogue/test_shipped_catalogue.py) and runs in the e2e test of intake regardless
# of boundary (tests/e2e/test_receiving_unit.py).
TEST_CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue-2024"
os.environ.setdefault("MOTCUA_CATALOGUE", str(TEST_CATALOGUE))

# Every consumer the tests start (in-process, a stack's processes, `motcua chaos` and what it
# starts) uses Apache Kafka's smallest session timeout: the embedded broker makes a new group
# member wait about half of it, and the suite starts and restarts members dozens of times.
os.environ.setdefault(SESSION_TIMEOUT_ENV, str(MIN_SESSION_TIMEOUT_MS))

# Parallel workers (pytest-xdist: PYTEST_XDIST_WORKER gw0, gw1, ...; PYTEST_XDIST_WORKER_COUNT)
# each listen on a part of the port range of their own, so two stacks never pick the same port;
# the processes a worker starts inherit its part. The range split is the run's own
# (MOTCUA_PORT_RANGE, when several runs share the machine), else the default.
if os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    _index = int(os.environ["PYTEST_XDIST_WORKER"][2:])
    _first, _last = listen_range()
    _share = (_last - _first) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ[PORT_RANGE_ENV] = f"{_first + _index * _share}-{_first + (_index + 1) * _share - 1}"


# The order the pytest-xdist workers get the files in (`--dist loadfile`: a file at a time, to
# whichever worker is free). By default xdist hands out the files with the most tests first, so
# the e2e files (one to three tests, but up to a minute each) came last, and the last of them
# decided the run's tail: one worker ran a 45-second file while the other sat idle. The longest
# files (tests/file_weights.json: seconds per file of a whole run, `python -m tests.file_weights`
# writes it) go first instead, so what is left at the end is short and the workers end
# together. A file not recorded yet comes after them, in the order collected.
def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER") or not FILE_WEIGHTS.is_file():
        return  # one process runs every file anyway: the collected order
    weights: dict[str, float] = json.loads(FILE_WEIGHTS.read_text())
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(item.nodeid.split("::")[0], len(first_seen))

    def order(item: pytest.Item) -> tuple[float, int]:
        path = item.nodeid.split("::")[0]
        return -weights.get(path, 0.0), first_seen[path]

    items.sort(key=order)  # stable: a file's tests keep their order and stay together


@pytest.fixture(scope="session", autouse=True)
def signing_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every test signs and verifies like production: a key for each stage, shared and per
    agency, in a registry that services (in-process or child processes) find through
    MOTCUA_KEYS_DIR, encrypted under the development passphrase as `motcua up` writes them (in
    MOTCUA_KEY_PASSPHRASE, so child processes and stacks read them too)."""
    saved = {name: os.environ.get(name)
             for name in ("MOTCUA_KEYS_DIR", PASSPHRASE_ENV, MASTER_KEY_ENV)}
    if not os.environ.get(PASSPHRASE_FILE_ENV):
        os.environ.setdefault(PASSPHRASE_ENV, DEV_PASSPHRASE)
    # Personal data is sealed under a master key of the session (child processes inherit it).
    if not os.environ.get(MASTER_KEY_FILE_ENV):
        os.environ.setdefault(MASTER_KEY_ENV, generate_master_key())
    keys_dir = create_test_keys(tmp_path_factory.mktemp("keys"))
    os.environ["MOTCUA_KEYS_DIR"] = str(keys_dir)
    yield keys_dir
    for name, previous in saved.items():
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    base = tmp_path_factory.mktemp("infra")
    postgres = broker = None
    server_url = os.environ.get("MOTCUA_TEST_DATABASE_URL")
    if not server_url:
        postgres = EmbeddedPostgres(base / "pg")
        server_url = postgres.start()
        # As `motcua up`: roles need their passwords, the superuser is this OS user's alone.
        asyncio.run(require_passwords(postgres.data_dir, server_url))
    bootstrap = os.environ.get("MOTCUA_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        # One broker per pytest-xdist worker (PYTEST_XDIST_WORKER: gw0, gw1, ...), one log each.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        log = ARTIFACTS / "logs" / f"broker{worker and '-'}{worker}.log"
        broker = EmbeddedBroker(free_port(), log)
        bootstrap = broker.start()
    try:
        yield Infrastructure(server_url, bootstrap,
                             data_dir=postgres.data_dir if postgres else None)
    finally:
        if broker:
            broker.stop()
        if postgres:
            postgres.stop()


@pytest.fixture
def log_dir(request: pytest.FixtureRequest) -> Path:
    """Service logs of a test, kept under test-artifacts/ for CI to show when it fails."""
    path = ARTIFACTS / "logs" / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path

