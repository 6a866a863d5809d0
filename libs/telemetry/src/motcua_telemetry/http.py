"""The SERVER span of each HTTP request a service answers, as a pure ASGI middleware (it runs the
endpoint in the request's own context, so what the endpoint binds stays in that request).

Requests that change something are traced; reads (GET, HEAD) only when the caller sends a
`traceparent`: portals poll a dossier's status many times a second, and those reads belong to no
dossier's journey. The span carries the route template, never the query string (an ID number
may be in it)."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, use_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from motcua_telemetry.spans import tracer

_PROPAGATOR = TraceContextTextMapPropagator()
_READS = {"GET", "HEAD", "OPTIONS"}


class TracingMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1")
                   for name, value in scope.get("headers", [])}
        method = scope["method"]
        if method in _READS and "traceparent" not in headers:
            await self.app(scope, receive, send)
            return
        status: dict[str, int] = {}

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        span = tracer.start_span(f"{method} {scope['path']}", kind=SpanKind.SERVER,
                                 context=_PROPAGATOR.extract(headers),
                                 attributes={"http.request.method": method,
                                             "url.path": scope["path"]})
        with use_span(span, end_on_exit=True, record_exception=True,
                      set_status_on_exception=True):
            await self.app(scope, receive, sending)
            route = scope.get("route")
            if route is not None and getattr(route, "path", None):
                span.update_name(f"{method} {route.path}")
                span.set_attribute("http.route", route.path)
            code = status.get("code", 500)
            span.set_attribute("http.response.status_code", code)
            if code >= 500:
                span.set_status(Status(StatusCode.ERROR, f"HTTP {code}"))
