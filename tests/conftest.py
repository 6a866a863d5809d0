"""Session fixtures: the real infrastructure. The embedded Postgres and the embedded Tansu broker
are started once per test session (or taken from MOTCUA_TEST_DATABASE_URL and
MOTCUA_TEST_KAFKA_BOOTSTRAP_SERVERS), and stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from motcua_cli.embedded import EmbeddedBroker, EmbeddedPostgres, free_port
from tests.support import Infrastructure

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    base = tmp_path_factory.mktemp("infra")
    postgres = broker = None
    server_url = os.environ.get("MOTCUA_TEST_DATABASE_URL")
    if not server_url:
        postgres = EmbeddedPostgres(base / "pg")
        server_url = postgres.start()
    bootstrap = os.environ.get("MOTCUA_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        broker = EmbeddedBroker(free_port(), ARTIFACTS / "logs" / "broker.log")
        bootstrap = broker.start()
    try:
        yield Infrastructure(server_url, bootstrap)
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

