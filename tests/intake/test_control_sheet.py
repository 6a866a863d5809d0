"""The control sheet (Phiếu kiểm soát, form 06) folded from a timeline: one row per hand-off, the
working hours allotted and used (waiting on the applicant left out), early / on time / late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from motcua_catalogue import WorkingCalendar, load_catalogue
from motcua_intake.tracking.control_sheet import control_sheet, judge_end, judge_step, running_late

VN = timezone(timedelta(hours=7))
CALENDAR = WorkingCalendar()
PROCEDURE = load_catalogue().procedures["2.000488"]  # 10 days: 4 + 56 + 12 + 4 + 4 hours
MONDAY = datetime(2025, 11, 24, 8, 0, tzinfo=VN)  # a week without holidays


@dataclass
class Entry:
    type: str
    at: datetime
    holder: str | None = None  # None: as rows written before `holder` was recorded
    stage: str = "intake"
    actor: str = "auto"
    agency: str | None = "STP"
    note: str | None = None


def after(start: datetime, hours: float) -> datetime:
    return CALENDAR.add_working_hours(start, hours)


def sheet(entries: list[Entry], now: datetime | None = None):
    return control_sheet(entries, procedure=PROCEDURE, calendar=CALENDAR, lead_agency="STP",
                         now=now or after(entries[-1].at, 1))


def summary(rows) -> list[tuple[str, str, float | None, float, str | None]]:
    return [(r.kind, r.stage, r.allotted_hours, r.used_hours, r.result) for r in rows]


def test_each_hand_off_is_a_row_judged_early_on_time_or_late():
    accepted = MONDAY + timedelta(minutes=30)
    appraised = after(accepted, 56)  # exactly the allotment
    approved = after(appraised, 14)  # 2 hours over
    signed = after(approved, 1)
    delivered = after(signed, 4)
    rows = sheet([
        Entry("DossierSubmitted", MONDAY, "intake", actor="officer:lan"),
        Entry("DossierAccepted", accepted, "appraisal", actor="officer:lan"),
        Entry("DossierAppraised", appraised, "approval", "appraisal", "officer:minh"),
        Entry("DossierApproved", approved, "signing", "approval", "officer:hoa"),
        Entry("ResultSigned", signed, "delivery", "signing"),
        Entry("ResultDelivered", delivered, None, "delivery", "officer:an"),
    ])
    assert summary(rows) == [
        ("stage", "intake", 4, 0.5, "early"),
        ("stage", "appraisal", 56, 56, "on_time"),
        ("stage", "approval", 12, 14, "late"),
        ("stage", "signing", 4, 1, "early"),
        ("stage", "delivery", 4, 4, "on_time"),
    ]
    intake, appraisal = rows[0], rows[1]
    assert (intake.giver, intake.receiver, intake.receiver_actor) == ("applicant", "intake",
                                                                     "officer:lan")
    assert (appraisal.giver, appraisal.giver_actor, appraisal.receiver_actor) == (
        "intake", "officer:lan", "officer:minh")
    assert appraisal.received_at == accepted and appraisal.handed_on_at == appraised
    assert [r.step for r in rows] == [1, 2, 3, 4, 5] and rows[-1].handed_on_at == delivered


def test_by_post_the_post_office_carrying_the_result_is_a_row_of_its_own_not_judged():
    signed = MONDAY + timedelta(hours=1)
    handed = after(signed, 2)
    delivered = after(handed, 20)  # the post takes days: not the agency's time
    rows = sheet([
        Entry("ResultSigned", signed, "delivery", "signing"),
        Entry("ResultHandedToPost", handed, "delivery", "delivery", "officer:an",
              note="Chuyển kết quả qua bưu chính (BUUDIEN) tới: Số 1 Hoàng Liên"),
        Entry("ResultPickedUpByPost", after(handed, 1), "delivery", "delivery", agency="BUUDIEN"),
        Entry("ResultDelivered", delivered, None, "delivery", "officer:buu.ta",
              agency="BUUDIEN"),
    ])
    assert summary(rows) == [("stage", "delivery", 4, 2, "early"),
                             ("postal", "delivery", None, 20, None)]
    desk, post = rows
    assert (desk.agency, desk.handed_on_at, desk.receiver_actor) == ("STP", handed, "officer:an")
    assert (post.agency, post.giver, post.giver_actor, post.receiver_actor, post.handed_on_at) == (
        "BUUDIEN", "delivery", "officer:an", "officer:buu.ta", delivered)


def test_time_waiting_on_the_applicant_is_not_counted_against_the_stage():
    requested = MONDAY + timedelta(hours=2)  # Monday 10:00
    provided = requested + timedelta(days=2)  # Wednesday 10:00: 16 working hours later
    rows = sheet([
        Entry("DossierSubmitted", MONDAY - timedelta(minutes=30), "intake"),
        Entry("DossierAccepted", MONDAY, "appraisal"),
        Entry("SupplementRequested", requested, "applicant", "appraisal"),
        Entry("SupplementProvided", provided, "appraisal"),
        Entry("DossierAppraised", provided + timedelta(hours=1), "approval", "appraisal"),
    ], now=provided + timedelta(hours=1, minutes=30))
    assert summary(rows) == [
        ("stage", "intake", 4, 0.5, "early"),
        ("stage", "appraisal", 56, 3, "early"),
        ("applicant", "applicant", None, 16, None),
        ("stage", "approval", 12, 0.5, "in_progress"),
    ]
    assert rows[1].waiting_hours == 16 and rows[2].giver == "appraisal"


def test_an_unanswered_wait_is_left_out_up_to_now():
    requested = MONDAY + timedelta(hours=1)
    rows = sheet([Entry("DossierSubmitted", MONDAY, "intake"),
                  Entry("SupplementRequested", requested, "applicant")],
                 now=requested + timedelta(days=1))
    assert summary(rows) == [("stage", "intake", 4, 1, "in_progress"),
                             ("applicant", "applicant", None, 8, None)]


def test_a_return_to_appraisal_gives_a_second_appraisal_row_with_what_is_left():
    accepted = MONDAY
    appraised = after(accepted, 40)
    returned = after(appraised, 2)
    reappraised = after(returned, 20)  # 40 + 20 > 56: the second visit overruns what was left
    rows = sheet([  # no `holder` recorded: the sheet infers it from the event types
        Entry("DossierSubmitted", MONDAY - timedelta(hours=1)),
        Entry("DossierAccepted", accepted),
        Entry("DossierAppraised", appraised, stage="appraisal"),
        Entry("DossierReturned", returned, stage="approval", note="Thiếu căn cứ"),
        Entry("DossierAppraised", reappraised, stage="appraisal"),
        Entry("DossierApproved", after(reappraised, 3), stage="approval"),
    ])
    assert summary(rows)[1:] == [
        ("stage", "appraisal", 56, 40, "early"),
        ("stage", "approval", 12, 2, "early"),
        ("stage", "appraisal", 16, 20, "late"),
        ("stage", "approval", 10, 3, "early"),
        ("stage", "signing", 4, 1, "in_progress"),
    ]


def test_a_consultation_is_a_row_of_the_consulted_agency_with_its_own_time():
    asked = MONDAY + timedelta(hours=1)  # Monday 09:00; respond by Tuesday 17:00 = 14 h
    rows = sheet([
        Entry("DossierSubmitted", MONDAY - timedelta(hours=1), "intake"),
        Entry("DossierAccepted", MONDAY, "appraisal"),
        Entry("ConsultationRequested", asked, "appraisal", "appraisal", agency="STP",
              note="Lấy ý kiến CAT: xác minh — hạn trả lời 17:00 25/11/2025"),
        Entry("ConsultationRequested", asked, "appraisal", "appraisal", agency="SXD",
              note="Lấy ý kiến SXD: ý kiến"),
        Entry("ConsultationAnswered", asked + timedelta(hours=2), "appraisal", "appraisal",
              actor="officer:cong-an", note="CAT: không có tiền án"),
    ])
    consulted = [r for r in rows if r.kind == "consultation"]
    assert [(r.agency, r.allotted_hours, r.used_hours, r.result, r.receiver_actor)
            for r in consulted] == [("CAT", 14, 2, "early", "officer:cong-an"),
                                    ("SXD", None, 3, None, None)]


@pytest.mark.parametrize("allotted, used, finished, result", [
    (4, 4 + 0.5 / 60, True, "on_time"),  # within the one-minute tolerance
    (4, 4 - 0.5 / 60, True, "on_time"),
    (4, 3.9, True, "early"),
    (4, 4.1, True, "late"),
    (4, 4.1, False, "late"),  # already over, still held
    (4, 3, False, "in_progress"),
    (None, 3, True, None),  # allotment unknown: not judged
])
def test_step_results(allotted, used, finished, result):
    assert judge_step(allotted, used, finished) == result


def test_the_dossier_verdict_is_against_the_first_appointment():
    due = datetime(2025, 11, 28, 17, 0, tzinfo=VN)
    same_day = due - timedelta(hours=5)
    assert judge_end(due - timedelta(days=1), due, rescheduled=False, supplements=1) == "early"
    assert judge_end(same_day, due, rescheduled=False, supplements=0) == "on_time"
    assert judge_end(due + timedelta(minutes=1), due, rescheduled=False, supplements=0) == "late"
    assert judge_end(same_day, due, rescheduled=True, supplements=0) == "late"
    assert judge_end(same_day, due, rescheduled=False, supplements=2) == "late"
    assert judge_end(same_day, None, rescheduled=False, supplements=0) is None
    assert running_late(due - timedelta(hours=1), due, rescheduled=False, supplements=2)
    assert not running_late(due - timedelta(hours=1), due, rescheduled=False, supplements=1)


def test_an_expired_supplement_after_acceptance_ends_the_sheet():
    """Since SupplementExpired ends the dossier (status 8), the applicant's wait and the agency's
    row end at the expiry and no row follows it."""
    asked, expired = after(MONDAY, 8), after(MONDAY, 32)
    rows = sheet([
        Entry("DossierSubmitted", MONDAY - timedelta(hours=1), "intake"),
        Entry("DossierAccepted", MONDAY, "appraisal"),
        Entry("SupplementRequested", asked, "applicant", "appraisal"),
        Entry("SupplementExpired", expired, None, "intake"),
    ], now=after(expired, 40))
    assert summary(rows)[1:] == [("stage", "appraisal", 56, 8, "early"),
                                 ("applicant", "applicant", None, 24, None)]
    assert all(r.handed_on_at is not None for r in rows)


def test_an_expired_supplement_of_schema_version_1_handed_the_dossier_back():
    """Rows written when the expiry returned the dossier to the agency record it as the holder."""
    asked, expired = after(MONDAY, 8), after(MONDAY, 32)
    rows = sheet([
        Entry("DossierSubmitted", MONDAY - timedelta(hours=1), "intake"),
        Entry("DossierAccepted", MONDAY, "appraisal"),
        Entry("SupplementRequested", asked, "applicant", "appraisal"),
        Entry("SupplementExpired", expired, "appraisal", "intake"),
    ], now=after(expired, 2))
    assert summary(rows)[1:] == [("stage", "appraisal", 56, 10, "in_progress"),
                                 ("applicant", "applicant", None, 24, None)]


def test_a_re_appraisal_after_a_return_gets_the_time_left_not_the_whole_allotment_again():
    """As intake's tracking view records the rows (holders written, the agency's take-over
    adding no row): the second appraisal is allotted what the first left (56 - 40 = 16 hours), and
    the second approval what is left of approval's (12 - 2); waiting on the applicant during the
    first appraisal is not spent."""
    accepted = MONDAY
    asked = after(accepted, 10)
    answered = after(asked, 8)
    appraised = after(answered, 30)  # 10 + 30 = 40 hours of appraisal, 8 waited
    returned = after(appraised, 2)
    reappraised = after(returned, 12)
    rows = sheet([
        Entry("DossierSubmitted", MONDAY - timedelta(hours=1), "intake"),
        Entry("DossierAccepted", accepted, "appraisal"),
        Entry("DossierTakenOver", accepted, "appraisal", "appraisal"),
        Entry("SupplementRequested", asked, "applicant", "appraisal"),
        Entry("SupplementProvided", answered, "appraisal"),
        Entry("DossierAppraised", appraised, "approval", "appraisal"),
        Entry("DossierReturned", returned, "appraisal", "approval", note="Thiếu căn cứ"),
        Entry("DossierAppraised", reappraised, "approval", "appraisal"),
        Entry("DossierApproved", after(reappraised, 3), "signing", "approval"),
    ])
    assert summary(rows)[1:] == [
        ("stage", "appraisal", 56, 40, "early"),
        ("applicant", "applicant", None, 8, None),
        ("stage", "approval", 12, 2, "early"),
        ("stage", "appraisal", 16, 12, "early"),
        ("stage", "approval", 10, 3, "early"),
        ("stage", "signing", 4, 1, "in_progress"),
    ]


def test_the_step_plan_the_dossier_was_accepted_under_is_what_each_stage_is_judged_against():
    """A case with a longer limit (or a catalogue version imported since): the facts' plan, not
    the catalogue's, gives each stage its allotment."""
    accepted = MONDAY + timedelta(minutes=30)
    appraised = after(accepted, 90)  # late against the default case's 56, early against 96
    entries = [Entry("DossierSubmitted", MONDAY, "intake"),
               Entry("DossierAccepted", accepted, "appraisal"),
               Entry("DossierAppraised", appraised, "approval", "appraisal")]
    plan = {"intake": 4, "appraisal": 96, "approval": 12, "signing": 4, "delivery": 4}
    rows = control_sheet(entries, procedure=PROCEDURE, calendar=CALENDAR, lead_agency="STP",
                         now=after(appraised, 1), plan=plan)
    assert [(r.stage, r.allotted_hours, r.result) for r in rows][:2] == [
        ("intake", 4, "early"), ("appraisal", 96, "early")]
    default = sheet(entries, now=after(appraised, 1))
    assert [(r.stage, r.allotted_hours, r.result) for r in default][1] == ("appraisal", 56,
                                                                           "late")


def test_the_intake_row_is_the_receiving_units():
    entries = [Entry("DossierSubmitted", MONDAY, "intake"),
               Entry("DossierAccepted", MONDAY + timedelta(hours=1), "appraisal")]
    rows = control_sheet(entries, procedure=PROCEDURE, calendar=CALENDAR, lead_agency="STP",
                         now=MONDAY + timedelta(hours=2), receiving_unit="UBNDCL")
    assert [(r.stage, r.agency) for r in rows] == [("intake", "UBNDCL"), ("appraisal", "STP")]
