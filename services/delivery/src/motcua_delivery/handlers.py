"""Delivery's use cases. `delivery_stage` is its whole behaviour on the topic;
`Delivery.work_queue` is what the one-stop desk and the post office record from the queue.

A signed result (status 9) opens the desk's item at the competent agency (so does a dossier
imported at 9 with the old system's signed result). Online it is made
available at once. At the counter the desk hands it over. By post the desk hands it to the post
office: the hand-off is addressed to the post office, so its own delivery instance (or the shared
one) opens the post office's item, which records the pick-up and then the delivery. Under the
automatic policy (the default) every step is taken at once, a generated item number standing in
for the post office's; with officers in charge the desk and the post office decide from their
queues. On time or late is judged against the appointment when the result was ready, whoever
delivers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from motcua_catalogue import Catalogue
from motcua_contracts.delivery import ResultHandedToPost
from motcua_contracts.dossier import ProcedureTerms
from motcua_contracts.imported import DossierImported
from motcua_contracts.signing import ResultSigned
from motcua_delivery import STAGE, decisions, domain
from motcua_delivery.decisions import POSTAL
from motcua_delivery.orm import CHAIN_LINKS, DEAD_LETTERS, INBOX, OUTBOX, WorkItem
from motcua_delivery.repository import DeliveryItems
from motcua_runtime.policy import dossier_terms, runs_automatically
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import DOSSIER, WorkItems, take_over
from motcua_runtime.work_queue import Decision, DecisionContext


def sealer(items: Any, item: Any) -> decisions.Seal | None:
    """Sealing under the item's dossier's key, with the keys the repository loaded."""
    keys = getattr(items, "keys", None)
    if keys is None:
        return None
    return lambda value: keys.seal(item.dossier_id, value)


@dataclass(frozen=True)
class Delivery:
    catalogue: Catalogue
    officers: bool = False
    post_office: str = domain.POST_OFFICE

    def automatic(self, terms: ProcedureTerms) -> bool:
        return runs_automatically(terms, STAGE, self.officers)

    def terms(self, item: Any) -> ProcedureTerms:
        """Who hands the result over, by the catalogue version the dossier was received
        under."""
        return dossier_terms(self.catalogue, item.facts())

    def on_result_signed(self, event: ResultSigned, items: WorkItems, emitter: Emitter) -> None:
        """The result is ready (status 9): the desk's item. Under the automatic policy it goes
        out at once through the channel the applicant chose; online it always does."""
        item = take_over(items, WorkItem, event, event.dossier, STAGE, context={
            "result_number": event.result_number, "ready_at": event.signed_at.isoformat()})
        automatic = self.automatic(self.terms(item))
        now = datetime.now(timezone.utc)
        channel = event.dossier.delivery_channel
        if channel == "online":
            decisions.make_available(item, emitter, now=now)
        elif automatic and channel == "counter":
            decisions.hand_over(item, emitter, now=now)
        elif automatic:
            decisions.hand_to_post(item, emitter, post_office=self.post_office, now=now)

    def on_imported(self, event: DossierImported, items: WorkItems, emitter: Emitter) -> None:
        """A dossier brought in with a result the old system signed (status 9): the desk's
        item, as after a native ResultSigned, its result the old PDF the import kept. Online it
        is made available at once, as a native one; at the counter and by post it waits for
        the desk's officers whatever the policy, as every imported dossier in progress does.
        Any other import is nothing for delivery."""
        if event.continues_at != STAGE or event.result is None:
            return
        item = take_over(items, WorkItem, event, event.dossier, STAGE, context={
            "result_number": event.result.result_number,
            "ready_at": event.result.signed_at.isoformat(),
            "imported": event.source_system, "sealed_by": event.result.sealed_by})
        if event.dossier.delivery_channel == "online":
            decisions.make_available(item, emitter, now=datetime.now(timezone.utc))

    def on_result_handed_to_post(self, event: ResultHandedToPost, items: WorkItems,
                                 emitter: Emitter) -> None:
        """The post office's item, of the post office's agency (the event is addressed to it).
        Automatically it is picked up under a generated number and delivered at once."""
        item = take_over(items, WorkItem, event, event.dossier, STAGE, kind=POSTAL, context={
            "competent_agency": event.competent_agency,
            "address": event.address.model_dump(mode="json"),  # sealed, as the event has it
            "result_number": event.result_number, "ready_at": event.ready_at.isoformat()})
        if self.automatic(self.terms(item)):
            now = datetime.now(timezone.utc)
            decisions.pick_up(item, emitter, now=now,
                              tracking_number=domain.tracking_number_for(item.id))
            decisions.deliver_by_post(item, emitter, delivered_at=now, now=now)

    def work_queue(self) -> dict[str, Decision]:
        def hand_over(item: Any, body: decisions.HandOver, emitter: Emitter,
                      context: DecisionContext) -> None:
            decisions.hand_over(item, emitter, now=context.now, actor=context.officer.actor,
                                body=body, seal=sealer(context.repository, item))

        def hand_to_post(item: Any, body: decisions.HandToPost, emitter: Emitter,
                         context: DecisionContext) -> None:
            decisions.hand_to_post(item, emitter, post_office=self.post_office, now=context.now,
                                   actor=context.officer.actor, note=body.note)

        def pick_up(item: Any, body: decisions.PickUp, emitter: Emitter,
                    context: DecisionContext) -> None:
            decisions.pick_up(item, emitter, tracking_number=body.tracking_number,
                              now=context.now, actor=context.officer.actor)

        def deliver(item: Any, body: decisions.Deliver, emitter: Emitter,
                    context: DecisionContext) -> None:
            decisions.deliver_by_post(item, emitter, delivered_at=body.delivered_at,
                                      recipient=body.recipient, now=context.now,
                                      actor=context.officer.actor,
                                      seal=sealer(context.repository, item),
                                      officer_full_name=body.officer_full_name)

        desk, post = frozenset({DOSSIER}), frozenset({POSTAL})
        return {
            "hand-over": Decision(decisions.HandOver, hand_over, desk,
                                  summary="At the counter: who received it, identity checked"),
            "hand-to-post": Decision(decisions.HandToPost, hand_to_post, desk,
                                     summary="By post: hand the result to the post office"),
            "pick-up": Decision(decisions.PickUp, pick_up, post,
                                summary="The post office picks it up, with the item's number"),
            "deliver": Decision(decisions.Deliver, deliver, post,
                                summary="The post office delivered it: when, to whom"),
        }


def delivery_stage(delivery: Delivery) -> Stage:
    return Stage(
        name=STAGE,
        handlers={"ResultSigned": delivery.on_result_signed,
                  "DossierImported": delivery.on_imported,
                  "ResultHandedToPost": delivery.on_result_handed_to_post},
        open_repository=DeliveryItems,
        outbox=OUTBOX, inbox=INBOX, dead_letters=DEAD_LETTERS, chain_links=CHAIN_LINKS,
    )
