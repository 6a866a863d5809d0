"""Delivery's rules, without I/O: whether the dossier was on time, and postal item numbers."""

from __future__ import annotations

import uuid
from datetime import datetime

from motcua_contracts.delivery import check_tracking_number, s10_check_digit

POST_OFFICE = "BUUDIEN"  # the catalogue's post office, by default (DELIVERY_POST_OFFICE)

__all__ = ["POST_OFFICE", "check_tracking_number", "on_time", "s10_check_digit",
           "tracking_number_for"]

# Postal item numbers follow UPU S10 (motcua_contracts.delivery checks them).
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


def tracking_number_for(item_id: uuid.UUID) -> str:
    """A registered-letter number for an item the automatic policy sends, from its id's random
    bits (the post office's own counter stands in for it when officers record the pick-up)."""
    serial = f"{item_id.int % 10**8:08d}"
    return f"{REGISTERED}{serial}{s10_check_digit(serial)}{VIETNAM}"
