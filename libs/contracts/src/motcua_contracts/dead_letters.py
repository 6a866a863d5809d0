"""The event an operator's decision on a dead letter leaves on the topic (`motcua dlq retry` or
`skip`): auditors replaying a dossier see who re-drove or set aside which of its events, and why.

It changes nothing in the dossier's lifecycle (it is neutral in `advance`); it is caused by the
dead-lettered event itself, so it sits in the dossier's hash-linked history right after it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from motcua_contracts.envelope import Event
from motcua_contracts.json_types import JsonInt


class DeadLetterResolved(Event):
    """A consumer's dead letter was resolved by an operator. `actor` is the operator
    (`operator:<login>`); `causation_id` is the event that had been refused."""

    type: Literal["DeadLetterResolved"] = Field(
        "DeadLetterResolved", description="Event type, the discriminator of the topic's union.")
    consumer: str = Field(description="Consumer group that held the event back, e.g. "
                                      "`appraisal.STP`.", examples=["appraisal.STP"])
    resolution: Literal["retried", "skipped"] = Field(
        description="`retried`: the event was applied again and applied; `skipped`: it was "
                    "set aside and the dossier went on without it.")
    refused_type: str = Field(description="Type of the event that had been refused.",
                              examples=["DossierAccepted"])
    refusal: str = Field(description="Why the consumer had refused it.")
    note: str | None = Field(default=None, description="The operator's reason, for a skip.")
    released: JsonInt = Field(default=0, ge=0,
                          description="How many later events of the dossier, held back behind "
                                      "it, were applied once it was resolved.")
