"""Signing's settings: the shared ones, read with the env prefix SIGNING_ for its own.

The keys: either a PKI folder (`SIGNING_PKI_DIR`, the layout of motcua_pki.keystore, what
`motcua pki init` makes and `motcua up` passes) or, for an instance serving one agency, explicit
files (`SIGNING_CERTIFICATE_FILE`, `SIGNING_KEY_FILE`, `SIGNING_ROOT_CERTIFICATE_FILE`). Keys are
encrypted; the passphrase comes from `MOTCUA_PKI_PASSPHRASE`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from motcua_pki import PASSPHRASE_ENV
from motcua_runtime.settings import ServiceSettings


class SigningSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SIGNING_", extra="ignore", populate_by_name=True)

    pki_dir: Path | None = Field(default=None, description="PKI folder (motcua_pki layout).")
    certificate_file: Path | None = Field(
        default=None, description="This agency's certificate (PEM), with SIGNING_AGENCY.")
    key_file: Path | None = Field(default=None, description="Its encrypted PKCS#8 key (PEM).")
    root_certificate_file: Path | None = Field(
        default=None, description="The provincial root CA certificate (PEM).")
    pki_passphrase: SecretStr | None = Field(default=None, validation_alias=PASSPHRASE_ENV)
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="PUBLIC_BASE_URL",
        description="Base of the public lookup page the result's QR code points to.")
    # Sealing a result takes about a millisecond of CPU inside the consumer's event loop
    # (docs/performance.md); 256 keep a batch well under a second, inside the session timeout.
    batch_max_records: int = Field(default=256, ge=1, le=10_000)
