"""`motcua bench` on the real stack (embedded broker and Postgres, every service a process):
a small run writes the figures the issue asks for, in their shape, and numbers that make sense
(every dossier delivered, latencies ordered, a ceiling above the pipeline's rate, CPU and memory
for every process), and a plot. Timing targets are the benchmark's, never a test's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from motcua_cli.bench import bench
from motcua_cli.bench_plot import plot
from motcua_cli.stackfile import Stack
from tests.conftest import ARTIFACTS
from tests.support import RunningStack, running_stack, signer_of

pytestmark = pytest.mark.e2e

DOSSIERS = 20


@pytest.fixture(scope="module")
async def stack(infra) -> AsyncIterator[RunningStack]:
    database_url, topic = await infra.isolated("bench")
    log_dir = ARTIFACTS / "logs" / "test_bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    with running_stack(infra, database_url, topic, log_dir, operations=True) as running:
        yield running


def as_stack(running: RunningStack) -> Stack:
    return Stack(kafka_bootstrap_servers=running.bootstrap_servers,
                 database_url=running.database_url,
                 services={s.name: {"pid": s.pid, "stage": s.stage} for s in running.services})


async def test_a_closed_loop_run_reports_throughput_latency_ceiling_and_every_process(
        stack: RunningStack, tmp_path):
    result = await bench(as_stack(stack), stack.topic, DOSSIERS, signer=signer_of("intake"),
                         timeout=180)
    shape = json.loads(json.dumps(result))  # what `--json FILE` writes

    assert shape["dossiers"] == shape["delivered"] == DOSSIERS and shape["mode"] == "closed"
    assert shape["dossiers_per_second"] > 0 and shape["events"] >= DOSSIERS * 6
    assert shape["events_per_second"] > shape["dossiers_per_second"]
    latency = shape["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    ceiling = shape["ceiling"]
    assert ceiling["broker_messages_per_second"] > shape["events_per_second"]
    assert ceiling["postgres_commits_per_second"] > 0 and ceiling["record_bytes"] > 500
    assert 0 < shape["share_of_ceiling"] < 1
    names = {s.name for s in stack.services}
    assert names <= set(shape["cpu_ms_per_dossier"]) and names <= set(shape["rss_mb"])
    assert all(shape["rss_mb"][name] > 10 for name in names)
    assert shape["cpu_ms_per_dossier"]["signing"] > 0
    assert {"DossierAccepted", "ResultSigned", "ResultDelivered"} <= set(shape["stage_ms"])
    assert sum(bucket["delivered"] for bucket in shape["timeline"]) == DOSSIERS
    assert shape["backlog"] and {"t", "outbox_unsent", "consumer_lag",
                                 "forms_pending"} <= set(shape["backlog"][0])
    # The run ends when nothing is left: every group has read every record, every outbox is
    # sent and intake has stored every dossier's receipt (form 01), which it draws after the
    # acceptance has moved on; the CPU per dossier counts that work.
    last = shape["backlog"][-1]
    assert last["outbox_unsent"] == last["consumer_lag"] == last["forms_pending"] == 0
    assert shape["settled_seconds"] >= shape["seconds"]
    assert 0 < shape["settled_dossiers_per_second"] <= shape["dossiers_per_second"]

    picture = plot(result, tmp_path / "bench.png")
    assert picture.read_bytes().startswith(b"\x89PNG")


async def test_an_open_loop_run_offers_the_dossiers_at_the_rate_given(stack: RunningStack):
    result = await bench(as_stack(stack), stack.topic, 10, signer=signer_of("intake"),
                         timeout=180, rate=5, ceiling=False)

    assert result["mode"] == "open" and result["offered_dossiers_per_second"] == 5
    assert result["delivered"] == 10
    assert result["publish_seconds"] >= 9 / 5 * 0.9  # ten at 5/s: the last one after 1.8 s
    assert result["ceiling"]["broker_messages_per_second"] is None
