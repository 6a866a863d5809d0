"""The portal sync's settings: the shared ones, and its own with the env prefix PORTAL_ (where
the national portal is, who we are to it, how hard to retry). The password comes from
PORTAL_PASSWORD or, better in production, from the file PORTAL_PASSWORD_FILE (a mounted
secret)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from motcua_runtime.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", populate_by_name=True)

    url: str = Field(description="Base URL of the portal's sync API (or of the provincial "
                                 "integration platform, LGSP, in front of it), e.g. "
                                 "https://dichvucong.gov.vn/jsp/rest.jsp.")
    login_path: str = Field(default="/login", description="Appended to `url` for the login.")
    service_path: str = Field(default="/service",
                              description="Appended to `url` for every service call.")
    share_path: str | None = Field(
        default=None, description="Appended to `url` for the shared lists (LayDanhMucCoQuan), "
                                  "which OpenCPS sends to a sharing endpoint of their own; "
                                  "unset: `service_path`.")
    unit_code: str = Field(min_length=1, description="`madonvi`: the province's unit code on "
                                                     "the portal.")
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    password_file: Path | None = Field(default=None,
                                       description="A file holding the password (a secret).")
    ca_file: Path | None = Field(
        default=None, description="A CA bundle to verify the portal's certificate with, when "
                                  "it is not one the system trusts. Verification is never off.")
    timeout_seconds: float = Field(default=30.0, gt=0, le=300,
                                   description="An answer slower than this counts as unknown: "
                                               "the call is looked up before it is sent again.")
    concurrency: int = Field(default=4, ge=1, le=64,
                             description="Dossiers sent to at the same time.")
    retry_first_seconds: float = Field(default=2.0, gt=0, le=600)
    retry_max_seconds: float = Field(default=600.0, gt=0, le=86_400)
    failing_after: int = Field(default=5, ge=1, le=1000, description=(
        "Failed attempts in a row after which a dossier counts as failing "
        "(motcua_portal_failing_dossiers, `motcua portal status`)."))
    poll_seconds: float = Field(default=1.0, gt=0, le=60,
                                description="How often the sender looks for calls to make.")

    @model_validator(mode="after")
    def _one_password(self) -> PortalSettings:
        if self.password_file is not None:
            if self.password is not None:
                raise ValueError("set PORTAL_PASSWORD or PORTAL_PASSWORD_FILE, not both")
            self.password = SecretStr(self.password_file.read_text().strip())
        if self.password is None or not self.password.get_secret_value():
            raise ValueError("no portal password: set PORTAL_PASSWORD_FILE (or PORTAL_PASSWORD)")
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"PORTAL_URL {self.url!r} is not an http(s) URL")
        if self.url.startswith("http://") and not self.development:
            raise ValueError("PORTAL_URL must be https:// outside development (MOTCUA_ENV)")
        return self
