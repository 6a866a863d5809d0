"""The national portal's sync API as the published provincial clients use it (docs/domain.md): a
login that answers a `session` with `error_code` 0, then POSTs of JSON carrying `session`, the
unit code (`madonvi`) and the service name (`service`). Every answer is sorted into what the
sender must do: done, already there (create -> update), try again later (down, 429, 5xx), or
unknown (no answer in time: the call may have been applied)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from motcua_portal.settings import PortalSettings

DONE, EXISTS = "0", ("3", "-3")  # error_code of success and of "đã tồn tại"


class PortalUnavailable(Exception):
    """The portal did not take the call (down, 429, 401 after a new login, refused): nothing of
    it was applied. `retry_after`: seconds the portal asked us to wait (429's Retry-After)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PortalRefused(PortalUnavailable):
    """The portal answered, and the answer was no (a login refused): the sync retries it like
    any failure (the account may be fixed meanwhile); a one-off read does not."""


class PortalUnsure(PortalUnavailable):
    """No usable answer (a timeout, a 5xx, a dropped connection after the request left): the
    call may have been applied, so look before sending a progress row again."""


@dataclass(frozen=True)
class Answer:
    error_code: str
    message: str
    body: dict[str, Any]

    @property
    def exists(self) -> bool:
        return self.error_code in EXISTS or "đã tồn tại" in self.message.lower()


class PortalClient:
    """One session for the process; it logs in again when the portal says it expired (401)."""

    def __init__(self, settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self._settings = settings
        # Never off: httpx's trust store (certifi), or the CA bundle the settings name.
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(settings.ca_file)) if settings.ca_file
            else True)
        self._http = httpx.AsyncClient(base_url=settings.url.rstrip("/"), verify=verify,
                                       timeout=settings.timeout_seconds, transport=transport)
        self._session: str | None = None

    async def close(self) -> None:
        await self._http.aclose()

    async def call(self, service: str, *, shared: bool = False, **fields: Any) -> Answer:
        """POST `service` with `fields`; one new login if the session expired. `shared`: a
        shared list (LayDanhMucCoQuan), sent to PORTAL_SHARE_PATH when it is set."""
        path = (self._settings.share_path or self._settings.service_path) if shared \
            else self._settings.service_path
        for _ in range(2):
            if self._session is None:
                await self._login()
            body = {"session": self._session, "madonvi": self._settings.unit_code,
                    "service": service, **fields}
            response = await self._post(path, body)
            if response.status_code in (401, 403):
                self._session = None  # expired or revoked: log in again, once
                continue
            return _answer(response)
        raise PortalUnavailable(f"{service}: the portal refused a fresh session "
                                f"({response.status_code})")

    async def _login(self) -> None:
        password = self._settings.password.get_secret_value() if self._settings.password else ""
        response = await self._post(self._settings.login_path,
                                    {"username": self._settings.username, "password": password})
        if response.status_code in (401, 403):
            raise PortalRefused(f"login refused ({response.status_code})")
        answer = _answer(response)
        session = answer.body.get("session")
        if answer.error_code != DONE or not session:
            raise PortalRefused(f"login refused: error_code {answer.error_code} "
                                f"{answer.message}")
        self._session = str(session)

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        try:
            return await self._http.post(path, json=body)
        except httpx.ConnectError as error:  # nothing left: it was not applied
            raise PortalUnavailable(f"cannot connect: {error}") from error
        except httpx.TimeoutException as error:
            raise PortalUnsure(f"no answer within {self._settings.timeout_seconds:g} s") \
                from error
        except httpx.TransportError as error:
            raise PortalUnsure(f"connection lost: {type(error).__name__}") from error


def _answer(response: httpx.Response) -> Answer:
    if response.status_code == 429:
        raise PortalUnavailable("429 too many requests", _retry_after(response))
    if response.status_code >= 500:
        raise PortalUnsure(f"{response.status_code} from the portal")
    if response.status_code >= 400:
        raise PortalUnavailable(f"{response.status_code} from the portal")
    try:
        body = response.json()
    except ValueError as error:
        raise PortalUnsure("an answer that is not JSON") from error
    if not isinstance(body, dict):
        raise PortalUnsure("an answer that is not a JSON object")
    return Answer(str(body.get("error_code", "")), str(body.get("message", "")), body)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
