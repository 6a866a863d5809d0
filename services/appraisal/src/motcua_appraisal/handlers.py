"""Appraisal's use cases; the table in `appraisal_stage` is all it does on the topic."""

from __future__ import annotations

from functools import partial

from motcua_appraisal import STAGE, domain
from motcua_appraisal.orm import INBOX, OUTBOX, WorkItem
from motcua_catalogue import Catalogue
from motcua_contracts.appraisal import DossierAppraised
from motcua_contracts.intake import DossierAccepted
from motcua_runtime.stage import Emitter, Stage
from motcua_runtime.work_items import WorkItems, close, take_over


def on_dossier_accepted(event: DossierAccepted, items: WorkItems, emitter: Emitter, *,
                        catalogue: Catalogue) -> None:
    """Open the dossier at the competent agency; appraise it at once under the automatic policy,
    or leave it in the specialists' queue."""
    item = take_over(items, WorkItem, event, event.dossier, STAGE)
    procedure = catalogue.procedures.get(event.dossier.procedure_code)
    if procedure is None or procedure.decided_by_officer(STAGE):
        return
    appraisal = domain.appraise(event.dossier, procedure)
    close(item, outcome=appraisal.recommendation, reason=appraisal.findings)
    emitter.emit(DossierAppraised, cause=event, dossier=event.dossier,
                 recommendation=appraisal.recommendation, findings=appraisal.findings)


def appraisal_stage(catalogue: Catalogue) -> Stage:
    return Stage(
        name=STAGE,
        handlers={"DossierAccepted": partial(on_dossier_accepted, catalogue=catalogue)},
        open_repository=partial(WorkItems, model=WorkItem),
        outbox=OUTBOX, inbox=INBOX,
    )
