"""Approval's use cases; the table in `approval_stage` is all it does on the topic."""

from __future__ import annotations

from functools import partial

from motcua_approval import STAGE, domain
from motcua_approval.orm import INBOX, OUTBOX, WorkItem
from motcua_catalogue import Catalogue
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.approval import DossierApproved, DossierDenied
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import WorkItems, close, take_over


def on_dossier_appraised(event: DossierAppraised, items: WorkItems, emitter: Emitter, *,
                         catalogue: Catalogue) -> None:
    """Put the draft before the leader; under the automatic policy, decide at once."""
    item = take_over(items, WorkItem, event, event.dossier, STAGE)
    procedure = catalogue.procedures.get(event.dossier.procedure_code)
    if procedure is None or procedure.decided_by_officer(STAGE):
        return
    decision = domain.decide(event, procedure)
    close(item, outcome=decision.outcome, reason=decision.text)
    if decision.outcome == "approved":
        emitter.emit(DossierApproved, cause=event, dossier=event.dossier, decision=decision.text)
    else:
        emitter.emit(DossierDenied, cause=event, dossier=event.dossier, reason=decision.text)


def approval_stage(catalogue: Catalogue) -> Stage:
    return Stage(
        name=STAGE,
        handlers={"DossierAppraised": partial(on_dossier_appraised, catalogue=catalogue)},
        open_repository=partial(WorkItems, model=WorkItem),
        outbox=OUTBOX, inbox=INBOX,
    )
