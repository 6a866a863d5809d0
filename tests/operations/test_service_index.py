"""The national service index (Decision 766) for a small set of dossiers whose every figure is
worked out by hand below, in working hours of the default office (07:00-11:30, 13:30-17:00,
Monday to Friday; March 2026 has no day off). The figures must match exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from motcua_catalogue import WorkingCalendar
from motcua_operations.service_index import (
    BadPeriod,
    IndexDossier,
    IndexPeriod,
    as_csv,
    compute,
    processing_hours,
    resolved_on_time,
)

VN = timezone(timedelta(hours=7))


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN)


CALENDAR = WorkingCalendar()
# A: allotted Mon 08:00 -> Wed 08:00 = 16 h; result Tue 08:00 = 8 h: on time.
A = IndexDossier(agency="STP", field="Tư pháp", channel="online", received_at=at(2, 8),
                 accepted_at=at(2, 8), first_due_at=at(4, 8), result_at=at(3, 8),
                 delivered_at=at(3, 9), delivery_channel="online", digitised=True,
                 rated_at=at(3, 10), rating_indicators=(2,) * 9, rating_overall="very_satisfied")
# B: allotted Mon 08:00 -> Tue 08:00 = 8 h; result Wed 08:00 = 16 h, of which it waited for a
# supplement Mon 09:00 -> Tue 09:00 = 2.5 + 3.5 + 2 = 8 h: 8 h used, on time (late if the wait
# counted). Rated 1 on each indicator: 50.
B = IndexDossier(agency="STP", field="Tư pháp", channel="counter", received_at=at(2, 8),
                 accepted_at=at(2, 8), first_due_at=at(3, 8), result_at=at(4, 8),
                 waits=((at(2, 9), at(3, 9)),), delivered_at=at(4, 10),
                 delivery_channel="counter", rated_at=at(4, 11), rating_indicators=(1,) * 9,
                 rating_overall="not_satisfied")
# C: allotted 8 h, used 16 h: late; delivered by post.
C = IndexDossier(agency="SXD", field="Xây dựng", channel="online", received_at=at(2, 8),
                 accepted_at=at(2, 8), first_due_at=at(3, 8), result_at=at(4, 8),
                 delivered_at=at(4, 8, 30), delivery_channel="postal", digitised=True)
# D: received, still being processed.
D = IndexDossier(agency="SXD", field="Xây dựng", channel="online", received_at=at(5, 8),
                 accepted_at=at(5, 8), first_due_at=at(9, 8), digitised=True)
# E: received in February (Fri 27th 08:00), allotted to Mon 2 Mar 08:00 = 7 + 1 = 8 h; result
# Mon 16:00 = 7 + 4.5 + 2.5 = 14 h: late; delivered online in March.
E = IndexDossier(agency="STP", field="Tư pháp", channel="counter", received_at=at(27, 8, month=2),
                 accepted_at=at(27, 8, month=2), first_due_at=at(2, 8), result_at=at(2, 16),
                 delivered_at=at(2, 16, 30), delivery_channel="online")
# F: received at the very first instant of April: not March's.
F = IndexDossier(agency="STP", field="Tư pháp", channel="online", received_at=at(1, 0, month=4),
                 digitised=True)
DOSSIERS = [A, B, C, D, E, F]
MARCH = IndexPeriod.parse("2026-03")


def test_processing_time_excludes_the_wait_on_the_applicant():
    assert processing_hours(CALENDAR, B) == pytest.approx(8.0)
    assert resolved_on_time(CALENDAR, B) is True
    assert processing_hours(CALENDAR, E) == pytest.approx(14.0)
    assert resolved_on_time(CALENDAR, E) is False
    assert processing_hours(CALENDAR, D) is None


def test_a_second_supplement_request_makes_a_fast_dossier_late():
    # B's 8 h used of 8 allotted, but asked twice for a supplement: late, as the index says.
    twice = replace(B, supplements=2)
    assert processing_hours(CALENDAR, twice) == pytest.approx(8.0)
    assert resolved_on_time(CALENDAR, replace(B, supplements=1)) is True
    assert resolved_on_time(CALENDAR, twice) is False
    province = compute([A, twice, C, D, E, F], MARCH, "province", CALENDAR)["province"]
    # A alone of the four resolved in March (A, B, C, E) is on time: 25 %, 5 of 20 points.
    assert (province["on_time"], province["on_time_share"], province["progress_points"]) == \
        (1, 25.0, 5.0)


def test_the_province_figures_match_the_hand_computation():
    province = compute(DOSSIERS, MARCH, "province", CALENDAR, province="Lào Cai")["province"]
    assert province == {
        "key": "province", "name": "Lào Cai",
        "received": 4, "online_share": 75.0, "digitised_share": 75.0,  # A B C D; A C D; A C D
        "resolved": 4, "on_time": 2, "on_time_share": 50.0,  # A B C E; A B
        "average_processing_days": 1.44,  # (8 + 8 + 16 + 14) / 4 = 11.5 h = 1.4375 days
        "progress_points": 10.0,  # 50 % of 20
        "delivered": 4, "electronic_result_share": 50.0,  # A B C E; A E online
        "ratings": 2, "satisfaction_score": 75.0, "satisfied_share": 50.0,  # 100 and 50; A
    }


def test_the_agencies_figures_match_the_hand_computation():
    names = {"STP": "Sở Tư pháp"}
    index = compute(DOSSIERS, MARCH, "agency", CALENDAR, names=lambda key: names.get(key, key))
    stp, sxd = index["groups"]
    assert stp == {
        "key": "STP", "name": "Sở Tư pháp", "received": 2, "online_share": 50.0,
        "digitised_share": 50.0, "resolved": 3, "on_time": 2, "on_time_share": 66.67,
        "average_processing_days": 1.25,  # (8 + 8 + 14) / 3 = 10 h
        "progress_points": 13.33, "delivered": 3, "electronic_result_share": 66.67,
        "ratings": 2, "satisfaction_score": 75.0, "satisfied_share": 50.0}
    assert sxd == {
        "key": "SXD", "name": "SXD", "received": 2, "online_share": 100.0,
        "digitised_share": 100.0, "resolved": 1, "on_time": 0, "on_time_share": 0.0,
        "average_processing_days": 2.0, "progress_points": 0.0, "delivered": 1,
        "electronic_result_share": 0.0, "ratings": 0, "satisfaction_score": None,
        "satisfied_share": None}


def test_per_field_and_per_quarter():
    by_field = compute(DOSSIERS, MARCH, "field", CALENDAR)
    assert [(g["key"], g["received"], g["resolved"]) for g in by_field["groups"]] == [
        ("Tư pháp", 2, 3), ("Xây dựng", 2, 1)]
    quarter = compute(DOSSIERS, IndexPeriod.parse("2026-q1"), "province", CALENDAR)
    assert quarter["label"] == "Quý I/2026"
    assert quarter["province"]["received"] == 5  # E, received in February, counts; F does not
    assert quarter["from"] == "2026-01-01T00:00:00+07:00"
    assert quarter["until"] == "2026-04-01T00:00:00+07:00"


def test_csv_has_the_province_first_and_empty_cells_without_a_base():
    index = compute(DOSSIERS, MARCH, "agency", CALENDAR, names=str)
    lines = as_csv(index).splitlines()
    assert lines[0].startswith("period,key,name,received,online_share")
    assert lines[1].startswith("2026-03,province,Tỉnh,4,75.0,75.0,4,2,50.0,1.44,10.0,")
    assert lines[3].endswith(",1,0.0,0,,")  # SXD: delivered 1, none online, no rating


@pytest.mark.parametrize("text", ["2026", "2026-13", "2026-Q5", "26-03", "tháng 3", "0000-01",
                                  "9999-Q4"])
def test_a_bad_period_says_what_it_expects(text):
    with pytest.raises(BadPeriod, match="neither a month|is not 01 to 12|is not 2000 to 2099"):
        IndexPeriod.parse(text)
