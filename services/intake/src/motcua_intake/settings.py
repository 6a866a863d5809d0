"""Intake's settings: the shared ones plus its HTTP server (env prefix INTAKE_), the public base
URL the applicant's e-mails link to, and where signing serves the result documents. The mail
server's settings are motcua_notify's (SMTP_*, NOTIFY_FROM)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from motcua_runtime.rate_limits import RateLimitSettings
from motcua_runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings, RateLimitSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", populate_by_name=True)

    http_port: int | None = 8000
    supplement_days: int = Field(default=5, ge=1, le=30, description=(
        "Working days an applicant has to file a supplement (verify against local rules)."))
    deadline_watch_seconds: float = Field(default=30.0, gt=0, description=(
        "How often the deadline watch looks for expired supplements and overdue dossiers."))
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="PUBLIC_BASE_URL",
        description="Base of the public lookup page (/tra-cuu) the e-mails link to.")
    signing_url: str | None = Field(default=None, description=(
        "Signing's HTTP API (its internal documents endpoint), e.g. http://signing:8080; None: "
        "result downloads answer 503."))
    notify_poll_seconds: float = Field(default=2.0, gt=0, description=(
        "How often the queue of e-mails is looked at."))
    forms_enabled: bool = Field(default=True, description=(
        "Issue forms 01 to 05 as PDFs (docs/forms.md); off: none are queued or drawn (a "
        "benchmark that measures the topic alone)."))
    forms_poll_seconds: float = Field(default=1.0, gt=0, description=(
        "How often the queue of forms 01 to 05 to render and store is looked at."))
    notify_retry_seconds: float = Field(default=10.0, gt=0, description=(
        "First wait before an e-mail is retried after the mail server failed (a form after the "
        "file store failed); doubles each time, up to INTAKE_NOTIFY_RETRY_MAX_SECONDS."))
    notify_retry_max_seconds: float = Field(default=900.0, gt=0)
    unnamed_upload_hours: float = Field(default=24.0, gt=0, description=(
        "An uploaded file that no filing or supplement named within this many hours is "
        "deleted (motcua_intake.files.cleanup)."))
    upload_cleanup_seconds: float = Field(default=600.0, gt=0, description=(
        "How often uploads nothing named are looked for."))
