"""Form II.06a says the same on the wallboard as in intake's managers' report: one generated set
of dossiers on every path the lifecycle allows (the audit generator's: refused, supplements at
intake and at the agency, fees, consultations, returns, denials, an apology, overdue,
withdrawal, by post and at the counter; plus a supplement that never came and one refused at
intake after its supplement, a dossier received at a commune's desk, and ratings) is folded,
event by event, into intake's tracking view (`motcua_intake.handlers.track`) and into the
operations view (`motcua_operations.projection.fold`), both stored in a real Postgres, and the
two reports, each read by its own service's query (`reports.load_period`,
`motcua_operations.report_06a.report`), are compared row by row for several periods and every
grouping. The clock stops in the middle of the log: some dossiers carried over, some still in
progress (within their deadline or late)."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from motcua_audit.generator import PATHS, journey
from motcua_catalogue import Procedure, WorkingCalendar
from motcua_catalogue.catalogue import default_catalogue
from motcua_cli.legacy import sample_lines, sample_results
from motcua_contracts import Event, new_event
from motcua_contracts.appraisal import DossierAppraised, FeesRequested
from motcua_contracts.approval import DossierApproved
from motcua_contracts.delivery import ResultDelivered
from motcua_contracts.imported import DossierImported
from motcua_contracts.intake import (
    DossierAccepted,
    DossierRated,
    DossierRefused,
    DossierSubmitted,
    FeesPaid,
    SupplementExpired,
)
from motcua_contracts.shared import SupplementRequested
from motcua_contracts.signing import ResultSigned
from motcua_documents.report_06a import Period
from motcua_intake.dossier_row import DossierRow
from motcua_intake.handlers import Intake, dossier_from, track
from motcua_intake.legacy import imported_event, read_lines
from motcua_intake.orm import Dossier, Rating, TimelineEntry
from motcua_intake.tracking import reports
from motcua_operations import report_06a
from motcua_operations.filters import Scope
from motcua_operations.orm import DossierView, TimelineRow
from motcua_operations.projection import fold, started, started_imported
from motcua_privacy import Keyring, new_data_key
from motcua_runtime.db import create_engine
from motcua_runtime.stage import Emitter
from tests.fakes import FakeDossiers, by, event
from tests.support import signer_of

VN = timezone(timedelta(hours=7))
# A Wednesday morning: what happened after it has not happened yet.
NOW = datetime(2026, 3, 25, 10, 0, tzinfo=VN)
# Monday mornings: the first batch is received in February (carried over into March), the last
# is still being worked on at NOW.
STARTS = [datetime(2026, 2, 23, 8, tzinfo=VN) + timedelta(weeks=week) for week in range(5)]
CALENDAR = WorkingCalendar()
PERIODS = [Period(date(2026, 3, 1), date(2026, 3, 31)),
           Period(date(2026, 2, 1), date(2026, 2, 28)),
           Period(date(2026, 3, 9), date(2026, 3, 15)),
           Period(date(2026, 2, 20), date(2026, 3, 20))]
COMMUNE = "UBNDCL"
CHANNELS = ("online", "counter", "postal")


def histories() -> list[list[Event]]:
    """Every path of the generator once a week for five weeks, and the paths it lacks."""
    rng = random.Random(16)
    catalogue = default_catalogue()
    procedures = sorted(catalogue.procedures.values(), key=lambda p: p.code)
    agencies = sorted(catalogue.agencies)
    made: list[list[Event]] = []
    for week, start in enumerate(STARTS):
        for n, path in enumerate(PATHS):
            procedure = procedures[(week * len(PATHS) + n) % len(procedures)]
            e_id = catalogue.agencies[procedure.agency].electronic_id
            events = journey(rng, signer_of, path, procedure=procedure.code,
                             agency=procedure.agency, start=start + timedelta(minutes=7 * n),
                             code=f"{e_id}-{start:%y%m%d}-{n + 1:04d}",
                             consulted=next(a for a in agencies if a != procedure.agency))
            # Filed online, at the counter or by post (the generator files online).
            filed: dict[str, Any] = {"channel": CHANNELS[(week + n) % 3]}
            if week == 2 and n % 3 == 0:  # received at a commune's desk, not the agency's
                filed["receiving_unit"] = COMMUNE
            events[0] = events[0].model_copy(update=filed)
            if path == "appraisal_supplement" and week % 2:
                events = _never_supplemented(events)
            if path == "intake_supplement" and week % 2:
                events = _refused_after_supplement(events)
            made.append(events)
    return made + waited_at_the_boundaries(rng, procedures[0], agencies) + imported()


def imported() -> list[list[Event]]:
    """Dossiers brought in from the system being replaced (`motcua import-legacy`'s sample:
    half ended there, half in progress), received over the weeks before NOW."""
    catalogue, keys = default_catalogue(), Keyring()
    signer = signer_of("import")
    made: list[list[Event]] = []
    lines = sample_lines(24, random.Random(3), catalogue, NOW)
    results = sample_results(lines)  # the signed PDFs of those at 9
    for item in read_lines("cu.jsonl", "".join(
            json.dumps(line, ensure_ascii=False) + "\n" for line in lines), catalogue, now=NOW,
            read_result=results.__getitem__):
        keys.keys[item.dossier.dossier_id] = new_data_key()
        made.append([imported_event(item, producer=signer.producer, seal=keys.seal,
                                    sign=signer.sign, actor="operator:admin",
                                    source_system="Một cửa cũ", now=NOW)])
    return made


def waited_at_the_boundaries(rng: random.Random, procedure: Procedure,
                             agencies: list[str]) -> list[list[Event]]:
    """Dossiers whose wait on the applicant (fees) moved their appointment, judged where the
    move matters: in progress at NOW past the appointment given at acceptance but before the
    moved one; a result ready (not yet handed over) between the two; one delivered on the day
    of the first appointment, a day before the moved one; and one ready on its appointment's
    day, without a wait."""
    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 3, day, hour, tzinfo=VN)

    cases = [  # received, appointment at acceptance, fees asked, paid, signed, delivered
        (at(23, 8), at(25, 8), at(23, 10), at(24, 15), at(26, 9), at(26, 10)),
        (at(20, 8), at(24, 17), at(20, 9), at(21, 9), at(25, 9), at(25, 11)),
        (at(16, 8), at(19, 17), at(16, 9), at(17, 9), at(19, 10), at(19, 11)),
        (at(9, 8), at(12, 17), None, None, at(12, 10), at(12, 11)),
    ]
    made = []
    for n, (received, due, asked_at, paid_at, signed_at, delivered_at) in enumerate(cases):
        e_id = default_catalogue().agencies[procedure.agency].electronic_id
        template = journey(rng, signer_of, "delivered", procedure=procedure.code,
                           agency=procedure.agency, start=received,
                           code=f"{e_id}-{received:%y%m%d}-{n + 901:04d}",
                           consulted=next(a for a in agencies if a != procedure.agency))
        submitted, accepted = template[0], template[1]
        assert isinstance(accepted, DossierAccepted)
        facts = accepted.dossier.model_copy(update={"due_at": due})
        agency = submitted.agency
        last: Event = event(DossierAccepted, producer=by("intake", None), cause=submitted,
                            at=received + timedelta(minutes=10), dossier=facts)
        history = [submitted, last]
        if asked_at and paid_at:
            asked = event(FeesRequested, producer=by("appraisal", agency), cause=last,
                          at=asked_at, amount=50_000, reason="Lệ phí")
            facts = facts.model_copy(update={"due_at": due + (paid_at - asked_at)})
            last = event(FeesPaid, producer=by("intake", None), cause=asked, at=paid_at,
                         amount=50_000, receipt_number=f"BL-{n}", dossier=facts)
            history += [asked, last]
        appraised = event(DossierAppraised, producer=by("appraisal", agency), cause=last,
                          at=signed_at - timedelta(hours=2), dossier=facts,
                          recommendation="approve", findings="Đủ điều kiện")
        approved = event(DossierApproved, producer=by("approval", agency), cause=appraised,
                         at=signed_at - timedelta(hours=1), dossier=facts, decision="Cấp")
        signed = event(ResultSigned, producer=by("signing", agency), cause=approved,
                       at=signed_at, dossier=facts, outcome="approved",
                       result_number=f"{n:04d}/2026/QĐ", document_sha256="ab" * 32,
                       signed_at=signed_at)
        delivered = event(ResultDelivered, producer=by("delivery", agency), cause=signed,
                          at=delivered_at, channel="online", delivered_at=delivered_at,
                          on_time=facts.due_at is not None and signed_at <= facts.due_at)
        made.append([*history, appraised, approved, signed, delivered])
    return made


def _never_supplemented(events: list[Event]) -> list[Event]:
    """The agency's supplement request goes unanswered: intake's deadline watch ends it (8)."""
    asked = next(e for e in events if isinstance(e, SupplementRequested))
    head = events[:events.index(asked) + 1]
    return [*head, new_event(SupplementExpired, dossier_id=asked.dossier_id, agency=asked.agency,
                             producer=by("intake", None), cause=asked,
                             occurred_at=asked.respond_by, respond_by=asked.respond_by)]


def _refused_after_supplement(events: list[Event]) -> list[Event]:
    """Intake asked for a supplement and the one brought did not complete it: refused (3)."""
    provided = events[2]
    return [*events[:3], new_event(DossierRefused, dossier_id=provided.dossier_id,
                                   agency=provided.agency, producer=by("intake", None),
                                   cause=provided,
                                   occurred_at=provided.occurred_at + timedelta(minutes=20),
                                   reason="Hồ sơ bổ sung vẫn thiếu", missing_documents=["CCCD"])]


def rated(events: list[Event], rng: random.Random) -> DossierRated | None:
    """A rating of a delivered dossier, two hours after delivery, for two dossiers in three."""
    delivered = events[-1]
    if not isinstance(delivered, ResultDelivered) or rng.random() < 1 / 3:
        return None
    return new_event(DossierRated, dossier_id=delivered.dossier_id, agency=delivered.agency,
                     producer=by("intake", None), cause=delivered,
                     occurred_at=delivered.occurred_at + timedelta(hours=2),
                     indicators=[rng.randrange(3) for _ in range(9)],
                     convenience=rng.choice(["very_satisfied", "satisfied", "not_satisfied"]),
                     overall=rng.choice(["very_satisfied", "satisfied", "not_satisfied"]))


@pytest.fixture(scope="module")
async def folded(infra):
    """Both views of the same events, up to NOW, stored; the paths the set covers."""
    database_url, _ = await infra.isolated("report_agreement")
    engine = create_engine(database_url)
    intake = Intake(default_catalogue(), CALENDAR)
    dossiers, emitter = FakeDossiers(), Emitter(by("intake", None), "unused")
    views, timeline, ratings = [], [], []
    rng = random.Random(6)
    statuses: set[int] = set()
    for events in histories():
        rating = rated(events, rng)
        happened = [e for e in [*events, *([rating] if rating else [])] if e.occurred_at <= NOW]
        view = (started_imported(happened[0]) if isinstance(happened[0], DossierImported)
                else started(happened[0]))
        for one in happened:
            if isinstance(one, DossierSubmitted):
                dossiers.add(dossier_from(one))
                track(one, dossiers, emitter)
            elif isinstance(one, DossierImported):
                intake.on_imported(one, dossiers, emitter)
            else:
                intake.follow(one, dossiers, emitter)
            timeline.append(TimelineRow(**fold(view, one).row()))
            if isinstance(one, DossierRated):  # intake records the rating it publishes
                ratings.append(Rating(dossier_id=one.dossier_id, rated_at=one.occurred_at,
                                      indicators=list(one.indicators),
                                      convenience=one.convenience, overall=one.overall))
        views.append(view)
        statuses.add(view.status_code)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        # The consumer's plain rows (an imported dossier's) as ORM objects, to be added here.
        session.add_all([*(Dossier(**row.values()) if isinstance(row, DossierRow) else row
                           for row in dossiers.dossiers.values()),
                         *(DossierView(**view.values()) for view in views)])  # as the view writes
        await session.flush()
        session.add_all([*(TimelineEntry(**vars(entry)) for entry in dossiers.timeline),
                         *timeline, *ratings])
    imports = sum(1 for view in views if view.last_event_type == "DossierImported")
    yield sessions, statuses, len(ratings), imports
    await engine.dispose()


async def both(sessions, period: Period, by_: Any) -> tuple[dict, dict]:
    catalogue = default_catalogue()
    async with sessions() as session:
        rows, ratings = await reports.load_period(session, period, NOW)
        intake = reports.compile_report(rows, ratings, period=period, by=by_,
                                        catalogue=catalogue, calendar=CALENDAR, now=NOW)
        operations = await report_06a.report(session, period, by_, Scope(), catalogue,
                                              CALENDAR, NOW)
    return intake, operations


async def test_the_set_covers_every_status_the_report_counts(folded):
    sessions, statuses, ratings, imports = folded
    # Refused (3), stopped (8: withdrawn, no supplement in time), in progress, result ready,
    # delivered; and ratings given in March.
    assert {3, 8, 9, 10} <= statuses and statuses & {2, 4, 5, 6}
    assert ratings >= 5 and imports >= 20
    intake, _ = await both(sessions, PERIODS[0], "agency")
    total = intake["total"]
    assert total["received"]["carried_over"] and total["received"]["counter"]
    assert total["received"]["postal"] and total["received"]["other_unit"]
    for figure in ("early", "on_time", "late"):
        assert total["resolved"][figure], figure
    assert total["in_progress"]["within_deadline"] and total["in_progress"]["late"]
    assert total["refused"] and total["stopped"] and total["satisfaction"]["ratings"]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.first}..{p.last}")
@pytest.mark.parametrize("grouping", ["agency", "receiving_unit", "procedure", "field"])
async def test_the_wallboards_ii06a_agrees_with_intakes_row_by_row(folded, period, grouping):
    intake, operations = await both(folded[0], period, grouping)
    assert [g["key"] for g in operations["groups"]] == [g["key"] for g in intake["groups"]]
    for theirs, ours in zip(intake["groups"], operations["groups"], strict=True):
        assert ours == theirs, ours["key"]
    assert operations["total"] == intake["total"]
    assert operations == intake
