"""Intake's settings: the shared ones plus its HTTP server (env prefix INTAKE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from motcua_runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", populate_by_name=True)

    http_port: int | None = 8000
    supplement_days: int = Field(default=5, ge=1, le=30, description=(
        "Working days an applicant has to file a supplement (verify against local rules)."))
    deadline_watch_seconds: float = Field(default=30.0, gt=0, description=(
        "How often the deadline watch looks for expired supplements and overdue dossiers."))
