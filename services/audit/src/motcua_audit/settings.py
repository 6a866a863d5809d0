"""The audit archive's settings: the shared ones, read with the env prefix AUDIT_ for its own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from motcua_runtime.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", populate_by_name=True)

    batch_max_records: int = Field(default=2000, ge=1, le=10_000)
