"""Delivery's rules, without I/O."""

from __future__ import annotations

from datetime import datetime


def on_time(result_ready_at: datetime, due_at: datetime | None, *,
            rescheduled: bool = False) -> bool:
    """On time means processing ended (status 9, the signed result) no later than the first
    appointment. A dossier whose appointment an apology moved counts as late all the same; one
    with no appointment (returned at once) is on time."""
    if rescheduled:
        return False
    return due_at is None or result_ready_at <= due_at
