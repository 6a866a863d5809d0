"""The operations service's settings: the shared ones, read with the env prefix OPERATIONS_ for
its own (the dashboard's port, the services it scrapes)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from motcua_runtime.rate_limits import RateLimitSettings
from motcua_runtime.settings import ServiceSettings, named_urls


class OperationsSettings(ServiceSettings, RateLimitSettings):
    model_config = SettingsConfigDict(env_prefix="OPERATIONS_", extra="ignore",
                                      populate_by_name=True)

    http_port: int | None = 8090
    metrics_targets: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="The services whose /metrics the dashboard shows, `name=url,name=url` "
                    "(e.g. `intake=http://intake:9100/metrics`).")
    scrape_seconds: float = Field(default=2.0, gt=0, le=60)
    due_soon_hours: float = Field(default=24.0, gt=0, le=24 * 30, description=(
        "A dossier is due soon when its appointment is within this many hours."))

    cookie_secure: bool = Field(default=True, description=(
        "Send the wallboard's sign-in cookie over HTTPS only (`motcua up`, on plain "
        "http://127.0.0.1, sets false)."))
    session_idle_hours: float = Field(default=12, gt=0, le=24 * 7, description=(
        "A wallboard's session ends when unused this long."))
    session_absolute_days: float = Field(default=7, gt=0, le=90, description=(
        "A wallboard's session ends this long after sign-in, used or not."))

    @field_validator("metrics_targets", mode="before")
    @classmethod
    def _name_equals_url(cls, value: object) -> object:
        return named_urls(value, "metrics target")
