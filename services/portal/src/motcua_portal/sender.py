"""The sender: makes the calls the consumer queued (motcua_portal.orm.PendingCall), each
dossier's in their order, several dossiers at once. A call is marked sent only after the portal
said it took it; a failure puts only that dossier back, for a delay that doubles with each
failure in a row (with jitter, at most PORTAL_RETRY_MAX_SECONDS, at least what a 429 asked).

Nothing is sent twice in a way that changes the portal's record: the dossier record is the
whole record each time (a create the portal already has turns into an update of the same
values), and a progress call that may have been applied (no answer in time, a 5xx) is checked
with `TraCuuHoSo` first: rows the portal already holds are not sent again."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from itertools import takewhile
from typing import Any

import structlog
from prometheus_client import Counter as Total
from prometheus_client import Gauge
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from motcua_portal import STAGE
from motcua_portal.client import DONE, PortalClient, PortalUnavailable, PortalUnsure
from motcua_portal.orm import PROGRESS, RECORD, PendingCall, SyncedDossier
from motcua_portal.settings import PortalSettings

log = structlog.get_logger(__name__)

ROWS_PER_CALL = 10  # progress rows per CapNhatTienDoHoSoMC, as the 2025 client sends
CREATE_UPDATE, PROGRESS_SERVICE, LOOKUP = "DongBoHoSoMC", "CapNhatTienDoHoSoMC", "TraCuuHoSo"
GAUGE_SECONDS = 5.0

CALLS = Total("motcua_portal_calls_total", "Calls made to the national portal, by service and "
              "outcome (ok, exists, unavailable, unsure).", ["service", "call", "outcome"])
PENDING = Gauge("motcua_portal_pending_calls", "Dossier records and progress rows the portal "
                "is owed.", ["service"])
FAILING = Gauge("motcua_portal_failing_dossiers", "Dossiers whose sync failed "
                "PORTAL_FAILING_AFTER times or more in a row (`motcua portal status`).",
                ["service"])


def backoff(attempts: int, settings: PortalSettings, rng: random.Random,
            retry_after: float | None = None) -> float:
    """Seconds before the next try after `attempts` failures in a row: doubling from
    PORTAL_RETRY_FIRST_SECONDS up to PORTAL_RETRY_MAX_SECONDS, drawn in its upper half (so
    dossiers that failed together do not come back together), never less than Retry-After."""
    ceiling = min(settings.retry_max_seconds,
                  settings.retry_first_seconds * 2 ** max(0, attempts - 1))
    return max(rng.uniform(ceiling / 2, ceiling), retry_after or 0.0)


def row_key(row: dict[str, Any]) -> tuple[str, ...]:
    """What tells two progress rows of a dossier apart on the portal."""
    return tuple(str(row.get(name, "")) for name in
                 ("ThoiDiemXuLy", "TrangThai", "NoiDungXuLy", "NguoiXuLy", "PhongBanXuLy"))


class Sender:
    def __init__(self, engine: AsyncEngine, client: PortalClient, settings: PortalSettings,
                 rng: random.Random | None = None) -> None:
        self._engine, self._client, self._settings = engine, client, settings
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(settings.concurrency)

    async def run(self, stop: asyncio.Event) -> None:
        gauges_at = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                await self.round()
                if loop.time() >= gauges_at:
                    await self.refresh_gauges()
                    gauges_at = loop.time() + GAUGE_SECONDS
            except Exception:  # the database away: the calls wait in it; try again
                log.exception("portal sender round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._settings.poll_seconds)

    async def round(self) -> int:
        """Sync every dossier that has calls due; returns how many dossiers were tried."""
        now = datetime.now(timezone.utc)
        async with self._engine.connect() as connection:
            due = (await connection.execute(
                select(PendingCall.dossier_id)
                .join(SyncedDossier, SyncedDossier.dossier_id == PendingCall.dossier_id)
                .where(PendingCall.sent_at.is_(None),
                       (SyncedDossier.next_attempt_at.is_(None))
                       | (SyncedDossier.next_attempt_at <= now))
                .group_by(PendingCall.dossier_id)
                .order_by(func.min(PendingCall.id))
                .limit(self._settings.concurrency * 16))).scalars().all()
        await asyncio.gather(*(self._sync(dossier_id) for dossier_id in due))
        return len(due)

    async def refresh_gauges(self) -> None:
        async with self._engine.connect() as connection:
            pending = await connection.scalar(
                select(func.count()).where(PendingCall.sent_at.is_(None)))
            failing = await connection.scalar(
                select(func.count()).where(SyncedDossier.attempts >= self._settings.failing_after))
        PENDING.labels(STAGE).set(pending or 0)
        FAILING.labels(STAGE).set(failing or 0)

    async def _sync(self, dossier_id: Any) -> None:
        async with self._slots:
            while True:
                dossier, calls = await self._pending(dossier_id)
                if not calls:
                    return
                batch = list(calls[:1]) if calls[0].kind == RECORD else list(takewhile(
                    lambda call: call.kind == PROGRESS, calls))[:ROWS_PER_CALL]
                try:
                    if batch[0].kind == RECORD:
                        await self._send_record(dossier, batch[0])
                    else:
                        await self._send_progress(dossier, batch)
                except PortalUnavailable as error:
                    await self._failed(dossier, batch[0].kind, error)
                    return
                await self._sent(dossier, batch)

    async def _pending(self, dossier_id: Any) -> tuple[Any, Sequence[Any]]:
        async with self._engine.connect() as connection:
            dossier = (await connection.execute(select(SyncedDossier.__table__).where(
                SyncedDossier.dossier_id == dossier_id))).one()
            calls = (await connection.execute(
                select(PendingCall.__table__)
                .where(PendingCall.dossier_id == dossier_id, PendingCall.sent_at.is_(None))
                .order_by(PendingCall.seq).limit(ROWS_PER_CALL + 1))).all()
        return dossier, calls

    async def _send_record(self, dossier: Any, call: Any) -> None:
        updating = bool(dossier.on_portal)
        answer = await self._called(CREATE_UPDATE, data=[call.payload], isUpdating=updating)
        if not updating and answer.exists:  # "đã tồn tại": the create becomes an update
            CALLS.labels(STAGE, CREATE_UPDATE, "exists").inc()
            answer = await self._called(CREATE_UPDATE, data=[call.payload], isUpdating=True)
        self._require_done(CREATE_UPDATE, answer)

    async def _send_progress(self, dossier: Any, batch: list[Any]) -> None:
        rows = [call.payload for call in batch]
        if dossier.unsure:
            rows = await self._not_yet_there(dossier, rows)
        if rows:
            self._require_done(PROGRESS_SERVICE,
                               await self._called(PROGRESS_SERVICE, data=rows))

    async def _not_yet_there(self, dossier: Any, rows: list[dict[str, Any]]
                             ) -> list[dict[str, Any]]:
        """The rows of `rows` the portal does not hold yet: it may hold some from a call whose
        answer we never got. The portal's rows, less those we know we sent, are the ones that
        call left there."""
        answer = await self._called(LOOKUP, mahoso=dossier.code)
        self._require_done(LOOKUP, answer)
        result = answer.body.get("result") or {}
        there = Counter(row_key(row) for row in result.get("QuaTrinhXuLy") or [])
        async with self._engine.connect() as connection:
            sent = (await connection.execute(select(PendingCall.payload).where(
                PendingCall.dossier_id == dossier.dossier_id, PendingCall.kind == PROGRESS,
                PendingCall.sent_at.is_not(None)))).scalars().all()
        there.subtract(row_key(row) for row in sent)
        missing = []
        for row in rows:
            if there[row_key(row)] > 0:
                there[row_key(row)] -= 1
            else:
                missing.append(row)
        if len(missing) < len(rows):
            log.info("portal already held progress rows of an unanswered call",
                     dossier_id=str(dossier.dossier_id), rows=len(rows) - len(missing))
        return missing

    async def _called(self, service: str, **fields: Any) -> Any:
        try:
            answer = await self._client.call(service, **fields)
        except PortalUnsure:
            CALLS.labels(STAGE, service, "unsure").inc()
            raise
        except PortalUnavailable:
            CALLS.labels(STAGE, service, "unavailable").inc()
            raise
        return answer

    def _require_done(self, service: str, answer: Any) -> None:
        if answer.error_code != DONE:
            CALLS.labels(STAGE, service, "refused").inc()
            raise PortalUnavailable(f"{service} refused: error_code {answer.error_code} "
                                    f"{answer.message}"[:500])
        CALLS.labels(STAGE, service, "ok").inc()

    async def _sent(self, dossier: Any, batch: list[Any]) -> None:
        now = datetime.now(timezone.utc)
        values: dict[str, Any] = {"attempts": 0, "next_attempt_at": None, "last_error": None,
                                  "synced_at": now}
        if batch[0].kind == RECORD:
            values["on_portal"] = True
        else:
            values["unsure"] = False
        async with self._engine.begin() as connection:
            await connection.execute(update(PendingCall).where(
                PendingCall.id.in_([call.id for call in batch])).values(sent_at=now))
            await connection.execute(update(SyncedDossier).where(
                SyncedDossier.dossier_id == dossier.dossier_id).values(**values))

    async def _failed(self, dossier: Any, kind: str, error: PortalUnavailable) -> None:
        attempts = dossier.attempts + 1
        delay = backoff(attempts, self._settings, self._rng, error.retry_after)
        unsure = bool(dossier.unsure) or (kind == PROGRESS and isinstance(error, PortalUnsure))
        async with self._engine.begin() as connection:
            await connection.execute(update(SyncedDossier).where(
                SyncedDossier.dossier_id == dossier.dossier_id).values(
                attempts=attempts, last_error=str(error)[:500], unsure=unsure,
                next_attempt_at=datetime.now(timezone.utc) + timedelta(seconds=delay)))
        log.warning("portal sync failed; will retry", dossier_id=str(dossier.dossier_id),
                    attempts=attempts, retry_in_seconds=round(delay, 1), reason=str(error))
