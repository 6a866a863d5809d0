"""Delivery's use cases. `delivery_stage` is its whole behaviour on the topic;
`Delivery.work_queue` is what the one-stop desk (or the post office) records from the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, Field

from motcua_catalogue import Catalogue, Procedure
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.signing import ResultSigned
from motcua_delivery import STAGE, domain
from motcua_delivery.orm import INBOX, OUTBOX, WorkItem
from motcua_runtime.policy import procedure_of, runs_automatically
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import WorkItems, close, take_over
from motcua_runtime.work_queue import Decision, DecisionContext


class Deliver(BaseModel):
    note: str | None = Field(default=None, max_length=1000,
                             description="Who received it, or the postal tracking number.")


@dataclass(frozen=True)
class Delivery:
    catalogue: Catalogue
    officers: bool = False

    def automatic(self, procedure: Procedure) -> bool:
        return runs_automatically(procedure, STAGE, self.officers)

    def on_result_signed(self, event: ResultSigned, items: WorkItems, emitter: Emitter) -> None:
        """The result is ready (status 9); under the automatic policy it is handed over at once
        through the channel the applicant chose."""
        item = take_over(items, WorkItem, event, event.dossier, STAGE, context={
            "result_number": event.result_number, "ready_at": event.signed_at.isoformat()})
        if self.automatic(procedure_of(self.catalogue, item.procedure_code)):
            deliver(item, emitter, now=datetime.now(timezone.utc))

    def work_queue(self) -> dict[str, Decision]:
        def delivering(item: Any, body: Deliver, emitter: Emitter,
                       context: DecisionContext) -> None:
            deliver(item, emitter, now=context.now, actor=context.officer.actor, note=body.note)

        return {"deliver": Decision(Deliver, delivering, summary="Record the hand-over")}


def deliver(item: Any, emitter: Emitter, *, now: datetime, actor: str = "auto",
            note: str | None = None) -> None:
    facts = item.facts()
    ready_at = datetime.fromisoformat(item.context["ready_at"])
    punctual = domain.on_time(ready_at, facts.rescheduled_from or facts.due_at,
                              rescheduled=facts.rescheduled_from is not None,
                              supplements=facts.supplements_requested)
    event = emitter.emit(ResultDelivered, cause=item.cause(), actor=actor,
                         channel=facts.delivery_channel, delivered_at=now, on_time=punctual)
    close(item, outcome="delivered", reason=note or (None if punctual else "late"), by=actor,
          at=now, emitted=event)


def delivery_stage(delivery: Delivery) -> Stage:
    return Stage(
        name=STAGE,
        handlers={"ResultSigned": delivery.on_result_signed},
        open_repository=lambda session: WorkItems(session, WorkItem),
        outbox=OUTBOX, inbox=INBOX,
    )
