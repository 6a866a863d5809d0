"""Delivery's settings: the shared ones, read with the env prefix DELIVERY_ for its own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from motcua_delivery.domain import POST_OFFICE
from motcua_runtime.settings import ServiceSettings


class DeliverySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DELIVERY_", extra="ignore", populate_by_name=True)

    post_office: str = Field(
        default=POST_OFFICE,
        description="Agency code of the post office that carries results by post "
                    "(DELIVERY_POST_OFFICE); it must be in the catalogue.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias="PUBLIC_BASE_URL",
        description="Base of the public lookup page the hand-over record's QR code points to.")
    intake_url: str | None = Field(
        default=None, description="Intake's HTTP API (DELIVERY_INTAKE_URL), where each read of "
                                  "the hand-over record is recorded in the access log; unset: "
                                  "the record is not served (503).")
