"""Events more than one stage emits. A reader looks here rather than in one producer's module;
which stages may emit each is `motcua_contracts.lifecycle.PRODUCERS`."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from motcua_contracts.envelope import Event


class SupplementRequested(Event):
    """The dossier lacks something; the applicant is asked, in writing, to complete it (form 02).
    Status 5.

    Emitted by intake (once, at the completeness check) or by the competent agency's appraisal;
    consumed by intake, which notifies the applicant and watches the deadline."""

    type: Literal["SupplementRequested"] = Field(
        "SupplementRequested", description="Event type, the discriminator of the topic's union.")
    requested_by: Literal["intake", "appraisal"] = Field(
        description="The stage that asked, and that resumes when the supplement arrives.")
    missing_documents: list[str] = Field(default_factory=list,
                                         description="Documents to file.")
    reason: str = Field(description="What is missing or must be corrected, as on form 02.")
    respond_by: AwareDatetime = Field(
        description="Deadline for the supplement; without it by then, the dossier is refused.")
    clock: Literal["pause", "restart"] = Field(
        description="Whether the processing clock pauses while waiting or restarts from the "
                    "complete dossier (per procedure).")


class DossierStopped(Event):
    """Processing stopped at the applicant's request (form 05). Status 8, terminal.

    Emitted by the competent agency's appraisal (or intake, before acceptance); every stage
    closes what it holds for the dossier."""

    type: Literal["DossierStopped"] = Field(
        "DossierStopped", description="Event type, the discriminator of the topic's union.")
    reason: str = Field(description="Why processing stopped, as on form 05.")


class DelayApologized(Event):
    """The responsible agency will be late: an apology with the reason and one new appointment
    (form 04), issued at least one working day before the appointment, never twice. The dossier
    still counts as late.

    Emitted by the stage of the competent agency that holds the dossier (appraisal, approval or
    signing); consumed by intake, which tells the applicant."""

    type: Literal["DelayApologized"] = Field(
        "DelayApologized", description="Event type, the discriminator of the topic's union.")
    reason: str = Field(min_length=1, description="Why the dossier will be late.")
    previous_due_at: AwareDatetime = Field(description="The appointment being replaced.")
    new_due_at: AwareDatetime = Field(description="The one new appointment.")
