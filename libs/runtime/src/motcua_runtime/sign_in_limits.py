"""Limits on password sign-ins, for the officers' workspace and the operations centre's
wallboard alike: attempts per client, and failed ones per user name (the `limits` library, as
the public endpoints' limits, motcua_runtime.rate_limits)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from pydantic import Field
from pydantic_settings import BaseSettings


class SignInLimitSettings(BaseSettings):
    """Mixed into an app's settings, so they read with its prefix
    (WORKSPACE_SIGN_IN_LIMIT_PER_NAME, OPERATIONS_SIGN_IN_LIMIT_PER_NAME)."""

    sign_in_limit_per_client: str = Field(default="20 per 5 minutes", description=(
        "Sign-in attempts per client address (`limits` notation)."))
    sign_in_limit_per_name: str = Field(default="5 per 5 minutes", description=(
        "Failed sign-ins per user name, from all clients together; a success clears it."))


class SignInLimits:
    """Sign-in attempts per client, and failed ones per user name (the `limits` library, as
    the public endpoints' limits): a guesser of one officer's password is stopped whatever
    address they come from, and one address cannot try many names."""

    def __init__(self, storage_uri: str, per_client: str, per_name: str) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.per_client, self.per_name = parse(per_client), parse(per_name)

    @classmethod
    def configured(cls, storage_uri: str, settings: SignInLimitSettings) -> SignInLimits:
        return cls(storage_uri, settings.sign_in_limit_per_client,
                   settings.sign_in_limit_per_name)

    async def refusal(self, client: str, user_name: str) -> int | None:
        """Seconds to wait when this attempt is over a limit, else None (the attempt counts)."""
        for item, key in ((self.per_name, ("name", user_name)),):
            if not await self.limiter.test(item, *key):
                return await self._wait(item, key)
        if not await self.limiter.hit(self.per_client, "client", client):
            return await self._wait(self.per_client, ("client", client))
        return None

    async def failed(self, user_name: str) -> None:
        await self.limiter.hit(self.per_name, "name", user_name)

    async def succeeded(self, user_name: str) -> None:
        await self.limiter.clear(self.per_name, "name", user_name)

    async def _wait(self, item: Any, key: tuple[str, ...]) -> int:
        stats = await self.limiter.get_window_stats(item, *key)
        return max(1, int(stats.reset_time - datetime.now(timezone.utc).timestamp()) + 1)
