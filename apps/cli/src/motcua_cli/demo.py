"""`motcua demo N`: file N sample dossiers over the HTTP API and watch them move through the
five stages until each has reached a final status, then print a summary."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

from motcua_cli.samples import sample_submission, upload_sample_files
from motcua_contracts import STATUS_NAMES, Status

FINAL = {Status.REFUSED, Status.STOPPED, Status.DELIVERED}
# Waiting for the applicant (a supplement, fees): nothing moves until they act.
SETTLED = FINAL | {Status.SUPPLEMENT_REQUESTED, Status.AWAITING_FEES}
COLUMNS = ["intake", "appraisal", "approval", "signing", "delivery", "applicant", "done"]


def _column(view: dict) -> str:
    return "done" if view["status"]["code"] in FINAL else (view["stage"] or "intake")


def _progress_table(views: dict[str, dict], total: int, elapsed: float) -> Table:
    table = Table(title=f"{total} dossiers, {elapsed:.1f}s")
    counts = Counter(_column(view) for view in views.values())
    for column in COLUMNS:
        table.add_column(column, justify="right")
    table.add_row(*(str(counts.get(column, 0)) for column in COLUMNS))
    return table


async def _patiently(client: httpx.AsyncClient, method: str, url: str,
                     **arguments: object) -> httpx.Response:
    """The request, again after the Retry-After of every 429: the demo is one public client and
    meets intake's rate limits (INTAKE_RATE_LIMIT_EXEMPT=127.0.0.1 lifts them for it)."""
    while True:
        response = await client.request(method, url, **arguments)
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.headers.get("retry-after") or 1))


async def submit_all(client: httpx.AsyncClient, count: int, incomplete_share: float,
                     seed: int) -> list[str]:
    procedures = (await client.get("/api/procedures")).raise_for_status().json()
    await upload_sample_files(client, procedures)  # the documents' files, which filings name
    rng = random.Random(seed)
    semaphore = asyncio.Semaphore(16)

    async def one(_: int) -> str:
        body = sample_submission(rng.choice(procedures), rng,
                                 complete=rng.random() >= incomplete_share)
        async with semaphore:
            response = await _patiently(client, "POST", "/api/dossiers", json=body)
        response.raise_for_status()
        return response.json()["dossier_id"]

    return await asyncio.gather(*(one(i) for i in range(count)))


async def wait_until_final(client: httpx.AsyncClient, ids: list[str], *, timeout: float,
                           on_progress=None) -> dict[str, dict]:
    views: dict[str, dict] = {}
    semaphore = asyncio.Semaphore(16)
    deadline = time.monotonic() + timeout

    async def refresh(dossier_id: str) -> None:
        async with semaphore:
            response = await _patiently(client, "GET", f"/api/dossiers/{dossier_id}")
        if response.status_code == 200:
            views[dossier_id] = response.json()

    while True:
        pending = [i for i in ids if i not in views or views[i]["status"]["code"] not in SETTLED]
        if not pending:
            return views
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} of {len(ids)} dossiers not final after "
                               f"{timeout:.0f}s")
        await asyncio.gather(*(refresh(i) for i in pending))
        if on_progress:
            on_progress(views)
        await asyncio.sleep(0.5)


async def demo(api_url: str, count: int, *, incomplete_share: float = 0.0, seed: int = 1,
               timeout: float = 600) -> int:
    console = Console()
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        ids = await submit_all(client, count, incomplete_share, seed)
        console.print(f"Filed {len(ids)} dossiers in {time.monotonic() - started:.1f}s")
        with Live(console=console, refresh_per_second=4) as live:
            def show(views: dict[str, dict]) -> None:
                live.update(_progress_table(views, count, time.monotonic() - started))
            views = await wait_until_final(client, ids, timeout=timeout, on_progress=show)
            show(views)
    elapsed = time.monotonic() - started
    summary = Table(title=f"Summary: {count} dossiers in {elapsed:.1f}s")
    summary.add_column("status")
    summary.add_column("name")
    summary.add_column("dossiers", justify="right")
    for code, n in sorted(Counter(v["status"]["code"] for v in views.values()).items()):
        summary.add_row(str(code), STATUS_NAMES[Status(code)], str(n))
    console.print(summary)
    by_post = [v for v in views.values()
               if any(e["type"] == "ResultPickedUpByPost" for e in v.get("timeline", []))]
    if by_post:
        carriers = sorted({e["agency"] for v in by_post for e in v["timeline"]
                           if e["type"] == "ResultPickedUpByPost"})
        console.print(f"{len(by_post)} results went by post: picked up and delivered by "
                      f"{', '.join(carriers)}")
    return 0
