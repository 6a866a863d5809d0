"""Settings every stage service reads. Shared infrastructure comes from the usual unprefixed
variables (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, ...); a stage's own settings carry its name as
prefix (APPRAISAL_AGENCY, INTAKE_HTTP_PORT, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from motcua_contracts import DLQ_SUFFIX, DOSSIER_TOPIC
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES
from motcua_runtime.officers import TOKEN_AUDIENCE, TOKEN_ISSUER
from motcua_runtime.scope import AgencyScope


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    database_url: SecretStr = Field(
        description="SQLAlchemy async URL, e.g. postgresql+asyncpg://user:pass@host/db",
        validation_alias="DATABASE_URL")
    dossier_topic: str = Field(default=DOSSIER_TOPIC, validation_alias="DOSSIER_TOPIC")
    otlp_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", validation_alias="LOG_FORMAT")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    agency: str | None = Field(
        default=None, description="Act only for this agency's dossiers; None serves all.")
    except_agencies: Annotated[set[str], NoDecode] = Field(
        default_factory=set,
        description="For an instance serving all agencies: agencies that run their own instance "
                    "of this stage, and so are left to it (comma-separated in the environment).")
    environment: str = Field(
        default="production", validation_alias="MOTCUA_ENV",
        description="`development` (what `motcua up` sets) accepts the published placeholder "
                    "secrets; anything else, unset included, refuses to start with one "
                    "(motcua_runtime.placeholders).")
    token_issuer_public_key: Path | None = Field(
        default=None, validation_alias="MOTCUA_TOKEN_ISSUER_PUBLIC_KEY",
        description="The token issuer's public key(s), PEM (`issuer.pub` of `motcua tokens "
                    "init`): officers' tokens are checked with it. Unset: no officer can "
                    "authenticate (401), and outside development a service with an HTTP API "
                    "refuses to start.")
    token_issuer: str = Field(default=TOKEN_ISSUER, validation_alias="MOTCUA_TOKEN_ISSUER",
                              description="`iss` of officers' tokens.")
    token_audience: str = Field(default=TOKEN_AUDIENCE, validation_alias="MOTCUA_TOKEN_AUDIENCE",
                                description="`aud` of officers' tokens.")
    officers: bool = Field(
        default=False, validation_alias="MOTCUA_OFFICERS",
        description="Put officers in charge of the stages each procedure assigns to them "
                    "(`officer_stages` in the catalogue); otherwise every stage runs its "
                    "automatic policy.")
    http_host: str = "0.0.0.0"
    http_port: int | None = Field(
        default=None, description="Port of the service's HTTP API (the officers' work queue); "
                                  "None: no HTTP server.")
    http_max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES, ge=1024, le=64 * 1024 * 1024,
        description="Largest request body the HTTP API accepts (bytes, default 1 MiB); a larger "
                    "one is a 413 before anything is stored.")
    metrics_port: int = Field(default=9100, description="Port of the Prometheus /metrics server.")
    metrics_host: str = "0.0.0.0"
    keys_dir: Path | None = Field(
        default=None, validation_alias="MOTCUA_KEYS_DIR",
        description="Folder of the key registry (registry.json) and every instance's private "
                    "key (private/): a development convenience; production gives each "
                    "service MOTCUA_KEY_REGISTRY and its own <STAGE>_SIGNING_KEY instead.")
    key_registry: Path | None = Field(
        default=None, validation_alias="MOTCUA_KEY_REGISTRY",
        description="The key registry file; default: registry.json in MOTCUA_KEYS_DIR.")
    signing_key: Path | None = Field(
        default=None, description="This instance's own private key file (<STAGE>_SIGNING_KEY: "
                                  "PEM, encrypted under MOTCUA_KEY_PASSPHRASE[_FILE], any "
                                  "name: the registry entry is found by its public key), "
                                  "with MOTCUA_KEY_REGISTRY the only key files a service "
                                  "needs; default (development): its current key in "
                                  "MOTCUA_KEYS_DIR.")
    batch_max_records: int = Field(default=500, ge=1, le=10_000)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)

    @field_validator("except_agencies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return {part.strip() for part in value.split(",") if part.strip()}
        return value

    @property
    def scope(self) -> AgencyScope:
        """The agencies this instance acts for (motcua_runtime.scope); an agency's own instance
        ignores EXCEPT_AGENCIES."""
        if self.agency is not None:
            return AgencyScope(self.agency)
        return AgencyScope.shared(self.except_agencies)

    def serves(self, agency: str | None) -> bool:
        """Whether this instance acts on events addressed to `agency`: `scope.serves`, spelled
        out because every record of the topic asks."""
        if self.agency is not None:
            return agency == self.agency
        return agency not in self.except_agencies

    def registry_path(self) -> Path:
        if self.key_registry is not None:
            return self.key_registry
        if self.keys_dir is None:
            raise ValueError("no key registry: set MOTCUA_KEYS_DIR (or MOTCUA_KEY_REGISTRY); "
                             "`motcua keys init` creates one")
        return self.keys_dir / "registry.json"

    @property
    def development(self) -> bool:
        return self.environment.strip().lower() == "development"

    @property
    def dlq_topic(self) -> str:
        return self.dossier_topic + DLQ_SUFFIX


def named_urls(value: object, what: str) -> object:
    """A setting of `name=http(s)://...` pairs, comma-separated, as {name: url}; `what` names
    one pair in the error (a list given as a mapping already is left as it is)."""
    if not isinstance(value, str):
        return value
    urls = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, equals, url = part.partition("=")
        if not equals or not name.strip() or not url.strip().startswith(("http://",
                                                                         "https://")):
            raise ValueError(f"{what} {part!r} is not name=http(s)://host:port[/path]")
        urls[name.strip()] = url.strip()
    return urls
