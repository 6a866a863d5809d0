"""The operations service's settings: the shared ones, read with the env prefix OPERATIONS_ for
its own (the dashboard's port, the services it scrapes, the wallboard's sessions, its sign-in
limits and identity provider: motcua_runtime.sign_in_limits and motcua_runtime.oidc, as the
workspace's)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from motcua_runtime.oidc import OidcSettings
from motcua_runtime.rate_limits import RateLimitSettings
from motcua_runtime.settings import ServiceSettings, named_urls
from motcua_runtime.sign_in_limits import SignInLimitSettings


class OperationsSettings(ServiceSettings, RateLimitSettings, OidcSettings, SignInLimitSettings):
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
    oidc_client_id: str = Field(default="motcua-operations", description=(
        "The wallboard's client id at the province's identity provider: the ID tokens' "
        "audience."))
    oidc_redirect_url: str = Field(
        default="http://127.0.0.1:8090/dang-nhap/oidc/ve", description=(
            "Where the provider sends the browser back: the wallboard's public address + "
            "/dang-nhap/oidc/ve, as registered at the provider."))

    @field_validator("metrics_targets", mode="before")
    @classmethod
    def _name_equals_url(cls, value: object) -> object:
        return named_urls(value, "metrics target")
