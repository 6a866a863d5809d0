"""Delivery's rule: on time means the result was ready no later than the first appointment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from motcua_delivery.domain import on_time

VN = timezone(timedelta(hours=7))
DUE = datetime(2026, 5, 14, 17, 0, tzinfo=VN)


def test_a_result_ready_exactly_at_the_appointment_is_on_time():
    assert on_time(DUE, DUE)


def test_a_result_ready_before_the_appointment_is_on_time():
    assert on_time(DUE - timedelta(days=2), DUE)


def test_a_result_ready_one_microsecond_after_the_appointment_is_late():
    assert not on_time(DUE + timedelta(microseconds=1), DUE)


def test_a_dossier_without_appointment_is_on_time():
    assert on_time(DUE, None)


def test_times_in_different_offsets_compare_as_instants():
    assert on_time(datetime(2026, 5, 14, 10, 0, tzinfo=timezone.utc), DUE)
    assert not on_time(datetime(2026, 5, 14, 10, 1, tzinfo=timezone.utc), DUE)


def test_a_rescheduled_dossier_is_late_whenever_its_result_is_ready():
    assert not on_time(DUE - timedelta(days=2), DUE, rescheduled=True)
