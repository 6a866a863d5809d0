"""The fold behind the dashboard: each event moves a dossier's row through the same pure
lifecycle rules intake and the auditors use (`motcua_contracts.lifecycle.advance`), and keeps
what operators count: who holds it, for which agency, against which deadlines, and whether it
was delivered on time. No I/O: the repository loads and stores the rows."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table

from motcua_contracts import DossierState, Event, Status, advance
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.dossier import DossierFacts
from motcua_contracts.envelope import field_value
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import (
    DossierAccepted,
    DossierOverdue,
    DossierRated,
    DossierSubmitted,
)
from motcua_contracts.shared import DelayApologized
from motcua_contracts.signing import ResultSigned
from motcua_operations.orm import DossierView

# Open dossiers in these states wait on the applicant: the agency is not the one behind.
WAITING_ON_APPLICANT = (int(Status.SUPPLEMENT_REQUESTED), int(Status.AWAITING_FEES))
# Processing has ended (on-time judgement made at status 9); not counted as overdue any more.
DONE_CODES = (int(Status.REFUSED), int(Status.STOPPED), int(Status.RESULT_READY),
              int(Status.DELIVERED))
ENDED_CODES = (int(Status.REFUSED), int(Status.STOPPED), int(Status.DELIVERED))


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """A row of the timeline (orm.TimelineRow's columns), as plain data: the repository writes
    a batch's entries in one statement."""

    event_id: uuid.UUID
    dossier_id: uuid.UUID
    type: str
    at: datetime
    service: str
    agency: str
    actor: str
    status_code: int
    holder: str | None
    note: str | None

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class ViewRow:
    """A dossier's row (orm.DossierView's columns) as plain attributes, what the fold reads and
    sets. Not an ORM object: the repository reads and writes a batch's rows in a few statements
    of its own, and building and setting instrumented objects was a fifth of the view's CPU per
    event (issue 15)."""

    dossier_id: uuid.UUID
    code: str
    procedure_code: str
    agency: str
    receiving_unit: str | None
    channel: str
    status_code: int
    holder: str | None
    lifecycle: dict[str, Any]
    received_at: datetime
    submitted_at: datetime
    due_at: datetime | None
    step_due_at: dict[str, Any]
    step_due: datetime | None
    marked_overdue: bool
    ended_at: datetime | None
    delivered_at: datetime | None
    on_time: bool | None
    accepted_at: datetime | None
    first_due_at: datetime | None
    result_at: datetime | None
    waits: list[Any]
    delivery_channel: str | None
    digitised: bool
    rated_at: datetime | None
    rating_indicators: list[int] | None
    rating_overall: str | None
    last_event_type: str
    updated_at: datetime
    events: int

    __slots__ = tuple(__annotations__)

    def __init__(self, **values: Any) -> None:
        unknown = values.keys() - set(self.__slots__)
        if unknown:
            raise TypeError(f"not a column of the operations view: {', '.join(sorted(unknown))}")
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    @classmethod
    def of(cls, values: Mapping[Any, Any]) -> ViewRow:
        """From a selected row's mapping (every column)."""
        row = cls.__new__(cls)
        for name in cls.__slots__:
            setattr(row, name, values[name])
        return row

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


# The row has the table's columns, no more and no fewer (a migration adds to both).
if set(ViewRow.__slots__) != {c.key for c in cast(Table, DossierView.__table__).columns}:
    raise RuntimeError("ViewRow's fields are not orm.DossierView's columns")


def started(event: DossierSubmitted) -> ViewRow:
    """The row a submission opens, before the submission itself is folded into it."""
    return ViewRow(
        dossier_id=event.dossier_id, code=event.code, procedure_code=event.procedure_code,
        agency=event.agency, receiving_unit=event.receiving_unit, channel=event.channel,
        status_code=0, holder=None, lifecycle={},
        received_at=event.received_at, submitted_at=event.occurred_at, due_at=None,
        step_due_at={}, step_due=None, marked_overdue=False, ended_at=None, delivered_at=None,
        on_time=None, last_event_type=event.type, updated_at=event.occurred_at, events=0,
        accepted_at=None, first_due_at=None, result_at=None, waits=[], delivery_channel=None,
        digitised=bool(event.documents) and all(d.media_type is not None
                                                for d in event.documents),
        rated_at=None, rating_indicators=None, rating_overall=None)


def started_imported(event: DossierImported) -> ViewRow:
    """The row of a dossier brought in from the system being replaced: received, accepted and
    (if it ended there) ended at the old system's times, not the import's."""
    # Not yet checked (1): the desk's acceptance here is the dossier's acceptance (fold).
    accepted = (None if event.status == int(Status.SUBMITTED) else
                next((step.at for step in event.history if step.status == 2), event.received_at))
    delivered = event.ended_at if event.status == int(Status.DELIVERED) else None
    return ViewRow(
        dossier_id=event.dossier_id, code=event.code, procedure_code=event.procedure_code,
        agency=event.agency, receiving_unit=event.receiving_unit, channel=event.channel,
        status_code=0, holder=None, lifecycle={},
        received_at=event.received_at, submitted_at=event.received_at, due_at=None,
        step_due_at={}, step_due=None, marked_overdue=False, ended_at=event.ended_at,
        delivered_at=delivered,
        on_time=(event.ended_at <= event.dossier.due_at
                 if delivered and event.ended_at and event.dossier.due_at else None),
        last_event_type=event.type, updated_at=event.occurred_at, events=0,
        accepted_at=accepted, first_due_at=event.dossier.due_at, result_at=None,
        # Waiting on the applicant since the old system asked, not since the import.
        waits=[[event.awaiting.requested_at.isoformat(), None]] if event.awaiting else [],
        delivery_channel=event.delivery.channel if delivered else None, digitised=False,
        rated_at=None, rating_indicators=None, rating_overall=None)


def fold(view: ViewRow, event: Event) -> TimelineEntry:
    """Apply `event` to the dossier's row; returns its timeline entry. An event the lifecycle
    refuses raises IllegalTransition and changes nothing (the consumer dead-letters it)."""
    state = advance(DossierState.from_json(view.lifecycle), event)
    view.lifecycle = state.to_json()
    view.status_code = int(state.status or Status.SUBMITTED)
    view.holder = state.holder
    facts = field_value(event, "dossier")
    if isinstance(facts, DossierFacts):  # every hand-off carries the newest deadlines
        view.due_at = facts.due_at
        view.step_due_at = {stage: due.isoformat() for stage, due in facts.step_due_at.items()}
    if isinstance(event, DelayApologized):
        view.due_at = event.new_due_at
    if isinstance(event, DossierOverdue):
        view.marked_overdue = True
    if isinstance(event, ResultDelivered):
        view.delivered_at, view.on_time = event.occurred_at, event.on_time
        view.delivery_channel = event.channel
    if isinstance(event, DossierAccepted) and view.accepted_at is None:
        view.accepted_at, view.first_due_at = event.occurred_at, event.dossier.due_at
    if isinstance(event, ResultSigned) and view.result_at is None:
        view.result_at = event.occurred_at
    if isinstance(event, DossierRated):
        view.rated_at = event.occurred_at
        view.rating_indicators, view.rating_overall = list(event.indicators), event.overall
    view.waits = _waits(view.waits or [], view.status_code, event.occurred_at)
    if state.ended and view.ended_at is None:
        view.ended_at = event.occurred_at
    step_due = (view.step_due_at or {}).get(state.holder or "")
    view.step_due = datetime.fromisoformat(step_due) if step_due else None
    view.last_event_type, view.updated_at = event.type, event.occurred_at
    view.events = (view.events or 0) + 1
    return TimelineEntry(
        event_id=event.event_id, dossier_id=event.dossier_id, type=event.type,
        at=event.occurred_at, service=event.producer.service, agency=event.agency,
        actor=event.actor, status_code=view.status_code, holder=state.holder,
        note=_clear_reason(event))


def _waits(waits: list[Any], status_code: int, at: datetime) -> list[Any]:
    """The intervals the dossier waited on the applicant (a supplement, fees): one opens when
    the status becomes 5 or 6, closes when it leaves them. Returns a new list (JSONB columns
    are only saved when reassigned)."""
    waiting = status_code in WAITING_ON_APPLICANT
    is_open = bool(waits) and waits[-1][1] is None
    if waiting and not is_open:
        return [*waits, [at.isoformat(), None]]
    if not waiting and is_open:
        return [*waits[:-1], [waits[-1][0], at.isoformat()]]
    return waits


def _clear_reason(event: Event) -> str | None:
    """An event's reason, when it travels in clear; a sealed one (the applicant's withdrawal)
    stays out of the operations centre's view, which keeps no personal data."""
    reason = field_value(event, "reason")
    return reason if isinstance(reason, str) else None
