"""Appraisal's settings: the shared ones, read with the env prefix APPRAISAL_ for its own."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from motcua_runtime.settings import ServiceSettings


class AppraisalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPRAISAL_", extra="ignore",
                                      populate_by_name=True)
