"""The apology for a delay (form 04): the stage of the competent agency that holds a dossier
which will be late issues it, with the reason and one new appointment, at least one working day
before the appointment, never twice. The dossier still counts as late: `rescheduled_from` keeps
the first appointment, and on-time is judged against it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from motcua_catalogue.working_time import HOURS_PER_DAY, VIETNAM, WorkingCalendar
from motcua_contracts.shared import DelayApologized
from motcua_runtime.stage import Emitter, Rejected
from motcua_runtime.work_queue import Decision, DecisionContext


def apologize(item: Any, emitter: Emitter, *, reason: str, new_due_at: datetime,
              now: datetime, calendar: WorkingCalendar, actor: str) -> DelayApologized:
    facts = item.facts()
    due = facts.due_at
    if due is None:
        raise Rejected("the dossier has no appointment to move")
    if facts.rescheduled_from is not None:
        raise Rejected("the appointment was already reset once; form 04 is issued only once")
    left = calendar.working_hours_between(now, due)
    if left < HOURS_PER_DAY:
        raise Rejected("an apology must come at least one working day before the appointment "
                       f"({due.astimezone(VIETNAM):%d/%m/%Y %H:%M}); {max(left, 0):g} working "
                       "hours are left")
    if new_due_at <= due:
        raise Rejected("the new appointment must be later than the current one")
    if not calendar.is_working_day(new_due_at.astimezone(VIETNAM).date()):
        raise Rejected(f"{new_due_at.astimezone(VIETNAM):%d/%m/%Y} is not a working day")
    event = emitter.emit(DelayApologized, cause=item.cause(), actor=actor, reason=reason,
                         previous_due_at=due, new_due_at=new_due_at)
    # The steps still ahead keep their allotted time, moved by the extension.
    extension = calendar.working_hours_between(due, new_due_at)
    steps = {stage: calendar.add_working_hours(deadline, extension) if deadline > now
             else deadline for stage, deadline in facts.step_due_at.items()}
    item.dossier = facts.model_copy(update={
        "due_at": new_due_at, "rescheduled_from": due, "step_due_at": steps,
    }).model_dump(mode="json")
    item.due_at = steps.get(emitter.producer.service, item.due_at)  # the queue shows it
    return event


class Apology(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the dossier is late.")
    new_due_at: AwareDatetime = Field(description="The one new appointment.")


def apology_decision(calendar: WorkingCalendar) -> Decision:
    """The work queue's `apologize` decision, for every stage that can hold a late dossier."""

    def apply(item: Any, body: Apology, emitter: Emitter, context: DecisionContext) -> None:
        apologize(item, emitter, reason=body.reason, new_due_at=body.new_due_at,
                  now=context.now, calendar=calendar, actor=context.officer.actor)

    return Decision(Apology, apply, summary="Apologise for a delay with one new appointment")
