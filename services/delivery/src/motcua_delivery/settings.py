"""Delivery's settings: the shared ones, read with the env prefix DELIVERY_ for its own."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from motcua_runtime.settings import ServiceSettings


class DeliverySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DELIVERY_", extra="ignore", populate_by_name=True)
