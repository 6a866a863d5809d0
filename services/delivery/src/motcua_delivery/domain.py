"""Delivery's rules, without I/O."""

from __future__ import annotations

from datetime import datetime


def on_time(result_ready_at: datetime, due_at: datetime | None) -> bool:
    """On time means processing ended (status 9, the signed result) no later than the
    appointment. A dossier with no appointment (returned at once) is on time."""
    return due_at is None or result_ready_at <= due_at
