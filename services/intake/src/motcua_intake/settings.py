"""Intake's settings: the shared ones plus its HTTP server (env prefix INTAKE_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from motcua_runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", populate_by_name=True)

    http_host: str = "0.0.0.0"
    http_port: int = 8000
