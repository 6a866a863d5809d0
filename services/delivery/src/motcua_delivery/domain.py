"""Delivery's rules, without I/O: whether the dossier was on time, and postal item numbers."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

POST_OFFICE = "BUUDIEN"  # Bưu điện tỉnh Lào Cai, the catalogue's post office (a setting)

# UPU S10 (the format Vietnam Post's item numbers follow): service letters, an 8-digit serial, a
# check digit over the serial, the country code.
_S10 = re.compile(r"^([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
REGISTERED = "RR"  # thư bảo đảm, registered letter: how results go by post
VIETNAM = "VN"


def on_time(result_ready_at: datetime, due_at: datetime | None, *,
            rescheduled: bool = False, supplements: int = 0) -> bool:
    """On time means processing ended (status 9, the signed result) no later than the first
    appointment. A dossier whose appointment an apology moved, or that was asked for a second
    supplement, counts as late all the same; one
    with no appointment (returned at once) is on time."""
    if rescheduled or supplements >= 2:  # a second supplement request counts as late too
        return False
    return due_at is None or result_ready_at <= due_at


def s10_check_digit(serial: str) -> int:
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


def check_tracking_number(number: str) -> str:
    """The number, upper-cased, if it is a valid S10 item number; else ValueError saying why."""
    number = number.strip().upper()
    match = _S10.match(number)
    if match is None:
        raise ValueError(f"tracking number {number!r} is not a postal item number: two letters, "
                         "nine digits, two letters (e.g. RR123456785VN)")
    if int(match.group(3)) != s10_check_digit(match.group(2)):
        raise ValueError(f"tracking number {number!r} has a wrong check digit: mistyped?")
    return number


def tracking_number_for(item_id: uuid.UUID) -> str:
    """A registered-letter number for an item the automatic policy sends, from its id's random
    bits (the post office's own counter stands in for it when officers record the pick-up)."""
    serial = f"{item_id.int % 10**8:08d}"
    return f"{REGISTERED}{serial}{s10_check_digit(serial)}{VIETNAM}"
