"""Delivery's rules, without I/O."""

from __future__ import annotations

from datetime import datetime


def on_time(result_ready_at: datetime, due_at: datetime | None, *,
            rescheduled: bool = False, supplements: int = 0) -> bool:
    """On time means processing ended (status 9, the signed result) no later than the first
    appointment. A dossier whose appointment an apology moved, or that was asked for a second
    supplement, counts as late all the same; one
    with no appointment (returned at once) is on time."""
    if rescheduled or supplements >= 2:  # a second supplement request counts as late too
        return False
    return due_at is None or result_ready_at <= due_at
