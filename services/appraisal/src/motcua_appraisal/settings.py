"""Appraisal's settings: the shared ones, read with the env prefix APPRAISAL_ for its own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from motcua_runtime.settings import ServiceSettings


class AppraisalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPRAISAL_", extra="ignore",
                                      populate_by_name=True)

    supplement_window_days: float = Field(
        default=3, gt=0, le=30,
        description="Working days after intake within which the agency may ask for its one "
                    "supplement (docs/domain.md, to verify).")
