"""A query parameter the operation does not take is refused (422 naming it and what the operation
takes), not silently ignored: `GET /api/reports?form=2026-01-01` (for `from`) would otherwise
answer a report of the wrong period as if all were well. Applied to every app by
motcua_runtime.http.install_error_handlers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from motcua_runtime.problems import problem_response


def query_names(dependant: Dependant) -> set[str]:
    """The query parameters an operation takes, its dependencies' included, as clients spell
    them (aliases)."""
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= query_names(dependency)
    return names


def api_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every operation of an app, those of included routers too: FastAPI 0.16x keeps an
    included router whole (one `_IncludedRouter` entry whose `effective_candidates` are its
    operations, with the prefix applied), where earlier versions copied its routes in."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_candidates"):
            yield from api_routes(route.effective_candidates())
        elif hasattr(route, "dependant") and hasattr(route, "matches"):
            yield route  # an included router's operation (`_EffectiveRouteContext`)


def unknown(given: Iterable[str], taken: set[str]) -> list[str]:
    return sorted({name for name in given if name not in taken})


class RefuseUnknownQueryParameters:
    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app, self.api = app, api
        self._taken: dict[tuple[str, tuple[str, ...]], set[str]] = {}

    def taken_by(self, route: Any) -> set[str]:
        key = (route.path, tuple(sorted(route.methods or ())))
        if key not in self._taken:
            self._taken[key] = query_names(route.dependant)
        return self._taken[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            route = next((r for r in api_routes(self.api.router.routes)
                          if r.matches(scope)[0] is Match.FULL), None)
            if route is not None:
                given = [name for name, _ in parse_qsl(scope["query_string"].decode("latin-1"),
                                                       keep_blank_values=True)]
                extra = unknown(given, self.taken_by(route))
                if extra:
                    taken = ", ".join(sorted(self.taken_by(route))) or "none"
                    response = problem_response(
                        422, f"unknown query parameter {', '.join(map(repr, extra))}; "
                             f"this operation takes: {taken}")
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def refuse_unknown_query_parameters(app: FastAPI) -> None:
    app.add_middleware(RefuseUnknownQueryParameters, api=app)
