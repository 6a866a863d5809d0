"""Delivery's rules: on time means the result was ready no later than the first appointment;
postal item numbers are UPU S10 with their check digit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from motcua_contracts import uuid7
from motcua_delivery.domain import (
    check_tracking_number,
    on_time,
    s10_check_digit,
    tracking_number_for,
)

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


# -- postal item numbers (UPU S10) ---------------------------------------------------------------

def test_a_well_formed_item_number_is_accepted_and_upper_cased():
    assert check_tracking_number(" rr123456785vn ") == "RR123456785VN"


@pytest.mark.parametrize("number, reason", [
    ("RR123456784VN", "wrong check digit"),
    ("RR12345678VN", "not a postal item number"),
    ("123456785", "not a postal item number"),
    ("", "not a postal item number"),
])
def test_a_malformed_or_mistyped_item_number_is_refused(number, reason):
    with pytest.raises(ValueError, match=reason):
        check_tracking_number(number)


def test_the_check_digit_follows_the_s10_weights_and_its_two_special_cases():
    assert s10_check_digit("12345678") == 5  # weighted sum 204: 11 - 204 % 11 = 5
    assert s10_check_digit("00000000") == 5  # 11 - 0 = 11 -> 5
    assert s10_check_digit("00000008") == 0  # 8 * 7 = 56: 11 - 56 % 11 = 10 -> 0


def test_generated_numbers_are_valid_registered_letters():
    numbers = {tracking_number_for(uuid7()) for _ in range(200)}
    assert all(check_tracking_number(n) == n and n.startswith("RR") and n.endswith("VN")
               for n in numbers)
    assert len(numbers) == 200
