"""One error model for every HTTP API: RFC 9457 problem details (`application/problem+json`).

Every 4xx and 5xx of every service, whether FastAPI raised it, a route did, or one of our ASGI
middlewares answered before the app ran (413, 429), is one JSON object:

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "no work item 42", "message": "no work item 42"}

`detail` is the human explanation RFC 9457 asks for; `message` carries the same text under the
name every client of ours read before this model (the CLI, the pages' scripts, agencies'
integrations), so none of them breaks. Extensions a route adds (`message_vi`, the Vietnamese
text the public pages show) and `errors` (the fields a 422 refused) sit beside them, as the RFC
allows. `type` stays `about:blank`: the status and its title say what kind of problem it is.
`instance` is left out: the request's path can hold a dossier's code, and an error body should
not echo what identifies a citizen's dossier (the public lookup answers an unknown code and a
wrong ID number with the same bytes).

The OpenAPI side lives in motcua_runtime.openapi: the same `Problem` schema on every declared
error response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    """One refused field of a 422: where it is and why."""

    loc: list[str | int] = Field(description="The field's place: body, query, path or header, "
                                              "then its name and any nested keys.")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem detail, with the extensions motcua adds."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "about:blank", "title": "Not Found", "status": 404,
        "detail": "no work item 42", "message": "no work item 42"}]})

    type: str = Field("about:blank", description="A URI naming the problem's kind; "
                                                 "`about:blank`: the status says it.")
    title: str = Field(description="The status's short name (e.g. `Not Found`).")
    status: int = Field(ge=400, le=599, description="The HTTP status code, as sent.")
    detail: str = Field(description="What went wrong with this request, for a person.")
    instance: str | None = Field(None, description="Not sent (see the module's notes).")
    message: str = Field(description="The same text as `detail` (the field clients read "
                                     "before problem details).")
    message_vi: str | None = Field(None, description="The explanation in Vietnamese, where "
                                                     "the public pages show it.")
    errors: list[FieldError] | None = Field(None, description="422 only: every refused field.")


def title_of(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str, **extensions: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title_of(status), "status": status,
                            "detail": detail, "message": detail}
    body.update({name: value for name, value in extensions.items() if value is not None})
    return body


def problem_response(status: int, detail: str, *, headers: Mapping[str, str] | None = None,
                     **extensions: Any) -> JSONResponse:
    return JSONResponse(problem_body(status, detail, **extensions),
                        status_code=status, headers=headers, media_type=PROBLEM_JSON)


def problem_bytes(status: int, detail: str, **extensions: Any) -> bytes:
    """The body an ASGI middleware sends itself (it answers before FastAPI runs)."""
    return json.dumps(problem_body(status, detail, **extensions),
                      ensure_ascii=False).encode()


def from_http_detail(detail: Any) -> tuple[str, dict[str, Any]]:
    """What a route put in `HTTPException(detail=...)`: our `{"message": ..., ...}` (the other
    keys become extensions) or a plain string (FastAPI's and Starlette's own: "Not Found")."""
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        extensions = {name: value for name, value in detail.items()
                      if name not in ("message", "type", "title", "status", "detail",
                                      "instance")}
        return detail["message"], extensions
    if isinstance(detail, str):
        return detail, {}
    return json.dumps(detail, ensure_ascii=False, default=str), {}
