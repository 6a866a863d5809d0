"""Delivery's use cases; the table in `delivery_stage` is all it does on the topic."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import partial

from motcua_catalogue import Catalogue
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.signing import ResultSigned
from motcua_delivery import STAGE, domain
from motcua_delivery.orm import INBOX, OUTBOX, WorkItem
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import WorkItems, close, take_over


def on_result_signed(event: ResultSigned, items: WorkItems, emitter: Emitter, *,
                     catalogue: Catalogue) -> None:
    """The result is ready (status 9); under the automatic policy it is handed over at once
    through the channel the applicant chose."""
    item = take_over(items, WorkItem, event, event.dossier, STAGE)
    procedure = catalogue.procedures.get(event.dossier.procedure_code)
    if procedure is None or procedure.decided_by_officer(STAGE):
        return
    punctual = domain.on_time(event.signed_at, event.dossier.due_at)
    close(item, outcome="delivered", reason=None if punctual else "late")
    emitter.emit(ResultDelivered, cause=event, channel=event.dossier.delivery_channel,
                 delivered_at=datetime.now(timezone.utc), on_time=punctual)


def delivery_stage(catalogue: Catalogue) -> Stage:
    return Stage(
        name=STAGE,
        handlers={"ResultSigned": partial(on_result_signed, catalogue=catalogue)},
        open_repository=partial(WorkItems, model=WorkItem),
        outbox=OUTBOX, inbox=INBOX,
    )
