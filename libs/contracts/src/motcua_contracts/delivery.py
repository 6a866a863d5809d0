"""Events emitted by delivery (Trả kết quả), stage 5."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from motcua_contracts.envelope import Event


class ResultDelivered(Event):
    """The result was handed over to the applicant. Status 10, terminal.

    Emitted by delivery; consumed by intake's tracking view (and auditors, reports)."""

    type: Literal["ResultDelivered"] = Field(
        "ResultDelivered", description="Event type, the discriminator of the topic's union.")
    channel: Literal["counter", "postal", "online"] = Field(description="How it was handed over.")
    delivered_at: AwareDatetime = Field(description="When the applicant received it.")
    on_time: bool = Field(description="Whether the dossier ended no later than its appointment.")
