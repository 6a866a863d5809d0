"""A cap on the size of request bodies for every HTTP API of the project: a body over the limit,
announced by Content-Length or grown past it while streaming, is a 413 before the app runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from motcua_runtime.openapi import TOO_LARGE, declare_everywhere
from motcua_runtime.problems import PROBLEM_JSON, problem_bytes

# What every API accepts by default (HTTP_MAX_BODY_BYTES with the service's prefix). A maximal
# filing (motcua_contracts.intake limits) is about 200 KiB even with every character \u-escaped;
# a work-queue decision is a few KiB. The events a request may produce are bounded by those
# content limits, not by this one: this limit is the first guard against memory and time.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware. The body is read here, up to the limit, before the app is called: the
    APIs of this project take small JSON documents, which they read whole anyway, so nothing is
    lost by buffering, and an app never sees (nor stores) part of an oversized request."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 streamed: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed = dict(streamed or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = _content_length(scope)
        streamed = self.streamed.get(scope.get("path", ""))
        if streamed is not None:
            # A path that reads its body as it arrives and stops at its own, larger limits (file
            # uploads: motcua_files.UploadCheck): not buffered here, refused here only when its
            # Content-Length already says it is over.
            if announced is not None and announced > streamed:
                await self._refuse(scope, send, f"Content-Length says {announced} bytes",
                                   streamed)
                return
            await self.app(scope, receive, send)
            return
        if announced is not None and announced > self.max_bytes:
            await self._refuse(scope, send, f"Content-Length says {announced} bytes")
            return
        try:
            messages = await self._read_body(receive)
        except BodyTooLarge:
            await self._refuse(scope, send, "the body grew past it while streaming")
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _read_body(self, receive: Receive) -> list[Message]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # a disconnect: the app sees it as it would have
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                raise BodyTooLarge
            if not message.get("more_body", False):
                return messages

    async def _refuse(self, scope: Scope, send: Send, why: str, limit: int | None = None
                      ) -> None:
        # The server (uvicorn) reads and discards the rest of the body after this answer, so a
        # client still sending gets the 413 rather than a reset connection.
        body = problem_bytes(413, f"the request body is over the {limit or self.max_bytes} "
                                  f"bytes this API accepts ({why})")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed one before the app is called
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()  # after the body: a disconnect, as the server reports it

    return replayed


def limit_request_bodies(app: Any, max_bytes: int, streamed: Mapping[str, int] | None = None
                         ) -> None:
    """Install the limit on a FastAPI/Starlette app (before it starts), declared in its
    OpenAPI document; `streamed`: path -> the larger limit of a path that reads its body as it
    arrives and limits it itself."""
    app.add_middleware(BodySizeLimit, max_bytes=max_bytes, streamed=streamed)
    declare_everywhere(app, 413, TOO_LARGE, with_body_only=True)
