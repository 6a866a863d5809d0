"""The workspace's settings: the shared ones, and its own with the env prefix WORKSPACE_ (the
port, where the stages' work queues and intake are, the sessions' limits, the cookie)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from motcua_runtime.oidc import OidcSettings
from motcua_runtime.settings import ServiceSettings, named_urls
from motcua_runtime.sign_in_limits import SignInLimitSettings


class WorkspaceSettings(ServiceSettings, OidcSettings, SignInLimitSettings):
    model_config = SettingsConfigDict(env_prefix="WORKSPACE_", extra="ignore",
                                      populate_by_name=True)

    http_port: int | None = 8100
    intake_url: str = Field(default="http://127.0.0.1:8000", description=(
        "Intake's HTTP API: the dossier's content and files for officers."))
    stage_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict, description=(
        "The work queues, `stage=url` or `stage.AGENCY=url`, comma-separated (e.g. "
        "`appraisal=http://appraisal:8080,appraisal.STP=http://appraisal-stp:8080`): an "
        "officer's queue is their agency's own instance if listed, else the stage's."))
    token_issuer_private_key: Path | None = Field(
        default=None, validation_alias="MOTCUA_TOKEN_ISSUER_PRIVATE_KEY", description=(
            "The token issuer's private key (`issuer.pem`): the workspace is the embedded "
            "identity provider and mints each signed-in officer's short-lived tokens with it. "
            "Unset: nobody can sign in."))
    officer_token_minutes: float = Field(default=5, gt=0, le=60, description=(
        "Lifetime of the tokens the workspace mints for one call to a stage."))
    session_idle_minutes: float = Field(default=30, gt=0, le=24 * 60, description=(
        "A session unused this long is over: the officer signs in again."))
    session_absolute_hours: float = Field(default=10, gt=0, le=7 * 24, description=(
        "A session is over this long after sign-in, used or not."))
    cookie_secure: bool = Field(default=True, description=(
        "Send the session cookie over HTTPS only. `motcua up` (plain HTTP on 127.0.0.1) sets "
        "it off; behind a TLS proxy leave it on."))
    rate_limit_storage_uri: str = Field(default="async+memory://", description=(
        "Where the sign-in counters are kept (async+redis://… for several replicas)."))
    # The sign-in limits are motcua_runtime.sign_in_limits.SignInLimitSettings; the identity
    # provider's other settings motcua_runtime.oidc.OidcSettings.
    oidc_client_id: str = Field(default="motcua-workspace", description=(
        "The workspace's client id at the provider: the ID tokens' audience."))
    oidc_redirect_url: str = Field(
        default="http://127.0.0.1:8100/dang-nhap/oidc/ve", description=(
            "Where the provider sends the browser back: the workspace's public address + "
            "/dang-nhap/oidc/ve, as registered at the provider."))
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="PUBLIC_BASE_URL", description=(
            "Base of the public lookup page: the draft result's QR code points to it, as the "
            "sealed result's will (signing reads the same variable)."))
    due_soon_hours: float = Field(default=24.0, gt=0, le=24 * 30, description=(
        "An item is due soon (amber) when its due time is within this many hours."))

    @field_validator("stage_urls", mode="before")
    @classmethod
    def _name_equals_url(cls, value: object) -> object:
        urls = named_urls(value, "stage URL")
        if isinstance(urls, dict):
            return {name: str(url).rstrip("/") for name, url in urls.items()}
        return urls
