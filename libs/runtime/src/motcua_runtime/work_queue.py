"""The officers' work queue of a stage, over HTTP: list my agency's items with their due times,
claim one, decide with a reason. A decision is the same plain function the stage's automatic
policy calls; here it runs in one transaction with the item locked, and the events it emits go to
the outbox like any handler's.

    GET  /api/work-items?state=open           my agency's items at this stage
    GET  /api/work-items/{id}
    POST /api/work-items/{id}/claim
    POST /api/work-items/{id}/decisions/{decision}   body: the decision's fields

401 without a valid token; 403 for another agency's item or another stage's role; 409 when the
item is not open, is claimed by someone else, or the decision is not allowed now."""

# No `from __future__ import annotations` here: FastAPI resolves the endpoints' annotations,
# which name dependencies defined inside `create_work_queue_api`.


import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_contracts import Producer
from motcua_telemetry import names, spans
from motcua_runtime.http import install_error_handlers, session_from
from motcua_runtime.keys import signer_from_settings
from motcua_runtime.officers import Officer, OfficerDependency, officer_from_bearer
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.stage import Emitter, Rejected, Stage
from motcua_runtime.work_items import DOSSIER, DONE, OPEN, TRACE_PARENT


@dataclass(frozen=True)
class DecisionContext:
    """What a decision may read besides the item and the officer's input: the stage's
    repository is preloaded for the item's dossier, as for a handler."""

    officer: Officer
    now: datetime
    repository: Any = None


@dataclass(frozen=True)
class _ItemAsEvent:
    """What `Repository.preload` reads of an event, taken from a work item."""

    dossier_id: uuid.UUID
    agency: str
    occurred_at: datetime


# apply(item, body, emitter, context): emits events and closes or pauses the item, no I/O.
Apply = Callable[[Any, Any, Emitter, DecisionContext], None]


@dataclass(frozen=True)
class Decision:
    body: type[BaseModel]
    apply: Apply
    kinds: frozenset[str] = field(default_factory=lambda: frozenset({DOSSIER}))
    summary: str = ""


class ItemView(BaseModel):
    id: uuid.UUID
    dossier_id: uuid.UUID
    code: str
    procedure_code: str
    agency: str
    kind: str
    state: str
    waiting_for: str | None
    opened_at: datetime
    due_at: datetime | None
    overdue: bool
    claimed_by: str | None
    outcome: str | None
    reason: str | None
    decided_by: str | None
    context: dict[str, Any]
    answers: list[dict[str, Any]]
    decisions: list[str]


class DecisionTaken(BaseModel):
    item: ItemView
    events: list[str]


def create_work_queue_api(stage: Stage, model: type[Any], decisions: Mapping[str, Decision], *,
                          sessions: async_sessionmaker[AsyncSession], producer: Producer,
                          topic: str, current_officer: OfficerDependency,
                          on_commit: Callable[[], None],
                          sign: Callable[[bytes], str] | None = None) -> FastAPI:
    """`producer` and `sign` are this instance's identity and key: decisions are signed."""
    app = FastAPI(title=f"motcua {stage.name}: officers' work queue", version="1")
    app.state.sessions = sessions
    install_error_handlers(app, f"{stage.name} database")
    Session = Annotated[AsyncSession, Depends(session_from)]
    CurrentOfficer = Annotated[Officer, Depends(current_officer)]

    def view(item: Any, now: datetime) -> ItemView:
        facts = item.dossier
        return ItemView(
            id=item.id, dossier_id=item.dossier_id, code=facts.get("code", ""),
            procedure_code=item.procedure_code, agency=item.agency, kind=item.kind,
            state=item.state, waiting_for=item.waiting_for, opened_at=item.opened_at,
            due_at=item.due_at, overdue=item.state != DONE and item.due_at is not None
            and item.due_at < now, claimed_by=item.claimed_by, outcome=item.outcome,
            reason=item.reason, decided_by=item.decided_by, context=item.context or {},
            answers=item.answers or [],
            decisions=sorted(name for name, d in decisions.items() if item.kind in d.kinds)
            if item.state == OPEN else [])

    def check_role(officer: Officer) -> None:
        if officer.role != stage.name:
            raise HTTPException(403, detail={"message": f"role {officer.role} cannot act at "
                                                        f"{stage.name}; a {stage.name} officer "
                                                        "can"})

    async def item_of(session: AsyncSession, item_id: uuid.UUID, officer: Officer, *,
                      lock: bool = False) -> Any:
        item = await session.get(model, item_id, with_for_update=lock)
        if item is None:
            raise HTTPException(404, detail={"message": f"no work item {item_id}"})
        if item.agency != officer.agency:
            raise HTTPException(403, detail={"message": f"work item {item_id} belongs to agency "
                                                        f"{item.agency}, not {officer.agency}"})
        return item

    @app.get("/api/work-items", response_model=list[ItemView])
    async def list_items(officer: CurrentOfficer, session: Session,
                         state: Literal["open", "waiting", "done", "all"] = "open",
                         limit: int = 200) -> Any:
        check_role(officer)
        query = select(model).where(model.agency == officer.agency)
        if state != "all":
            query = query.where(model.state == state)
        query = query.order_by(model.due_at.asc().nulls_last(), model.opened_at)
        now = datetime.now(timezone.utc)
        return [view(item, now) for item in await session.scalars(query.limit(min(limit, 1000)))]

    @app.get("/api/work-items/{item_id}", response_model=ItemView)
    async def get_item(item_id: uuid.UUID, officer: CurrentOfficer, session: Session) -> Any:
        check_role(officer)
        return view(await item_of(session, item_id, officer), datetime.now(timezone.utc))

    @app.post("/api/work-items/{item_id}/claim", response_model=ItemView)
    async def claim(item_id: uuid.UUID, officer: CurrentOfficer, session: Session) -> Any:
        check_role(officer)
        now = datetime.now(timezone.utc)
        async with session.begin():
            item = await item_of(session, item_id, officer, lock=True)
            _claimable(item, officer)
            item.claimed_by, item.claimed_at = officer.name, now
        return view(item, now)

    @app.post("/api/work-items/{item_id}/decisions/{name}", response_model=DecisionTaken,
              responses={409: {"description": "Not open, claimed by another, or not allowed"}})
    async def decide(item_id: uuid.UUID, name: str, request: Request, officer: CurrentOfficer,
                     session: Session) -> Any:
        check_role(officer)
        decision = decisions.get(name)
        if decision is None:
            raise HTTPException(404, detail={"message": f"{stage.name} takes no decision "
                                                        f"{name!r}; it takes: "
                                                        f"{', '.join(sorted(decisions))}"})
        body = await _body(request, decision.body)
        now = datetime.now(timezone.utc)
        emitter = Emitter(producer, topic, sign=sign)
        async with session.begin():
            item = await item_of(session, item_id, officer, lock=True)
            _claimable(item, officer)
            if item.kind not in decision.kinds:
                raise HTTPException(409, detail={"message": f"{name} does not apply to a "
                                                            f"{item.kind} item"})
            item.claimed_by = item.claimed_by or officer.name
            repository = stage.open_repository(session)
            await repository.preload([_ItemAsEvent(item.dossier_id, item.agency, now)])
            try:
                # In the dossier's trace (from the hand-off that opened the item), linked to
                # this request: one dossier stays one trace when officers decide.
                with spans.in_dossier_trace((item.context or {}).get(TRACE_PARENT),
                                            f"decide {name}",
                                            {names.DOSSIER_ID: str(item.dossier_id),
                                             names.AGENCY: item.agency}):
                    decision.apply(item, body, emitter, DecisionContext(officer, now, repository))
            except (Rejected, ValueError) as error:
                raise HTTPException(409, detail={"message": str(error)}) from None
            if emitter.messages:
                await session.execute(insert(stage.outbox),
                                      [message.as_row() for message in emitter.messages])
        on_commit()
        return DecisionTaken(item=view(item, now),
                             events=[_type_of(message.headers) for message in emitter.messages])

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _claimable(item: Any, officer: Officer) -> None:
    if item.state != OPEN:
        waiting = f" for {item.waiting_for}" if item.waiting_for else ""
        raise HTTPException(409, detail={"message": f"work item {item.id} is {item.state}"
                                                    f"{waiting}, not open"})
    if item.claimed_by not in (None, officer.name):
        raise HTTPException(409, detail={"message": f"work item {item.id} is claimed by "
                                                    f"{item.claimed_by}"})


async def _body(request: Request, model: type[BaseModel]) -> Any:
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            message = "the request body is not valid JSON"
        else:
            where = ".".join(str(part) for part in first["loc"]) or "body"
            message = f"{where}: {first['msg']}"
        raise HTTPException(422, detail={"message": message}) from None


def _type_of(headers: list[tuple[str, bytes]]) -> str:
    return next((value.decode() for key, value in headers if key == "type"), "")


def work_queue_server(settings: ServiceSettings, stage: Stage, model: type[Any],
                      decisions: Mapping[str, Decision]
                      ) -> Callable[[async_sessionmaker[AsyncSession], Any], FastAPI]:
    """The `api` a stage service passes to `run_stage`: its work queue, with officers' tokens
    checked against the configured secret, emitting as this instance."""

    signer = signer_from_settings(settings, stage.name)

    def build(sessions: async_sessionmaker[AsyncSession], relay: Any) -> FastAPI:
        return create_work_queue_api(
            stage, model, decisions, sessions=sessions, producer=signer.producer,
            topic=settings.dossier_topic,
            current_officer=officer_from_bearer(settings.token_secret.get_secret_value()),
            on_commit=relay.wake, sign=signer.sign)

    return build
