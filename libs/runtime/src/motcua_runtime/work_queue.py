"""The officers' work queue of a stage, over HTTP: list my agency's items with their due times,
claim one, decide with a reason. A decision is the same plain function the stage's automatic
policy calls; here it runs in one transaction with the item locked, and the events it emits go to
the outbox like any handler's.

    GET  /api/work-items?state=open&overdue=   my agency's items at this stage
    GET  /api/work-items/{id}
    GET  /api/work-items/{id}/documents/{name}   a document of the item (a PDF), drawn on request
    POST /api/work-items/{id}/claim
    POST /api/work-items/{id}/decisions/{decision}   body: the decision's fields

The stage's role reads and acts; the agency's `manager` reads only (lists, items, documents:
the managers' overdue list), and claims and decides nothing.

401 without a valid token; 403 for another agency's item or another stage's role; 404 for an
item of an agency this instance does not serve (it has an instance of its own, or this is another
agency's instance: every instance of a stage shares the stage's table, so the instance's scope,
motcua_runtime.scope, is what keeps them apart); 409 when the item is not open, is claimed by
someone else, or the decision is not allowed now."""

# No `from __future__ import annotations` here: FastAPI resolves the endpoints' annotations,
# which name dependencies defined inside `add_item_routes` and `add_decision_route`.


import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, cast

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from motcua_contracts import Event, Producer
from motcua_contracts.dossier import ProcedureTerms
from motcua_runtime.health import healthz
from motcua_runtime.http import install_error_handlers, session_from
from motcua_runtime.http_limits import DEFAULT_MAX_BODY_BYTES, limit_request_bodies
from motcua_runtime.keys import signer_from_settings
from motcua_runtime.officers import Officer, OfficerDependency, officer_from_bearer
from motcua_runtime.scope import AgencyScope
from motcua_runtime.settings import ServiceSettings
from motcua_runtime.stage import Emitter, Rejected, Stage
from motcua_runtime.tokens import verifier_from_settings
from motcua_runtime.work_items import DONE, DOSSIER, OPEN, TRACE_PARENT
from motcua_telemetry import names, spans


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


# present(session, items) -> the context each item shows the officer, by item id. A stage whose
# items keep personal data sealed at rest (the post office's address) opens it here, at the
# moment an officer of the item's agency asks; without it the context is shown as stored.
Present = Callable[[AsyncSession, Sequence[Any]], Awaitable[Mapping[uuid.UUID, dict[str, Any]]]]


# render(session, item, officer) -> the document's bytes. The item is the caller's agency's,
# checked as every read of the queue; Rejected when the item has no such document (yet).
RenderDocument = Callable[[AsyncSession, Any, Officer], Awaitable[bytes]]


# on_read(item, officer, content, client): the read of a document that prints personal data,
# recorded where the dossier's reads are (intake's access log) before the document is served.
RecordRead = Callable[[Any, Officer, bytes, str | None], Awaitable[None]]


# on_present(items, officer, client): the items whose personal data `present` opened for the
# officer (the postal address, the receiver's name), recorded where the dossier's reads are
# (intake's access log) before the answer goes out.
RecordPresented = Callable[[Sequence[Any], Officer, str | None], Awaitable[None]]


class ReadNotRecorded(Exception):
    """The read could not be recorded: the document is not served (503, try again)."""


@dataclass(frozen=True)
class ItemDocument:
    """A document a stage draws from one of its items when asked (the delivery's hand-over
    record): not kept, since the item keeps what it states. `on_read`: when it prints personal
    data, how its read is recorded; the document is served only once it is."""

    render: RenderDocument
    file_name: str
    media_type: str = "application/pdf"
    summary: str = ""
    on_read: RecordRead | None = None


MANAGER = "manager"  # reads every stage's queue of their agency, decides nothing


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
    # The procedure's terms under the dossier's catalogue version (DossierFacts.terms): what
    # the workspace's draft result is titled and named by, as signing will seal it.
    terms: ProcedureTerms | None = None


class DecisionTaken(BaseModel):
    item: ItemView
    events: list[str]


Session = Annotated[AsyncSession, Depends(session_from)]


def create_work_queue_api(stage: Stage, model: type[Any], decisions: Mapping[str, Decision], *,
                          sessions: async_sessionmaker[AsyncSession], producer: Producer,
                          topic: str, current_officer: OfficerDependency,
                          on_commit: Callable[[], None],
                          sign: Callable[[bytes], str] | None = None,
                          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                          scope: AgencyScope, present: Present | None = None,
                          on_present: RecordPresented | None = None,
                          documents: Mapping[str, ItemDocument] | None = None) -> FastAPI:
    """`producer` and `sign` are this instance's identity and key: decisions are signed.
    `scope`: the agencies this instance serves; it lists, shows and decides only their items.
    `present`: how the items' context is shown (Present); `on_present`: how the reads of the
    personal data it opens are recorded (RecordPresented). `documents`: what an item's
    documents route draws, by name."""
    app = FastAPI(title=f"motcua {stage.name}: officers' work queue", version="1")
    limit_request_bodies(app, max_body_bytes)
    app.state.sessions = sessions
    install_error_handlers(app, f"{stage.name} database")
    queue = WorkQueue(stage, model, decisions, scope=scope, producer=producer, topic=topic,
                      sign=sign, on_commit=on_commit, present=present, on_present=on_present)
    add_item_routes(app, queue, current_officer)
    add_document_route(app, queue, current_officer, documents or {})
    add_decision_route(app, queue, current_officer)
    declare_decisions(app, decisions)
    app.add_api_route("/healthz", healthz)  # the database and the broker (motcua_runtime.health)
    return app


DECISIONS_EXTENSION = "x-decisions"


def declare_decisions(app: FastAPI, decisions: Mapping[str, Decision]) -> None:
    """Each decision's body in the OpenAPI document: its JSON schema among the components, and
    on the decide operation `x-decisions`: {name: {"$ref", "summary", "kinds"}}. One route takes
    every decision (its body is read by name), so the bodies cannot be its requestBody; the
    officers' workspace builds its forms from this extension."""
    built = app.openapi

    def document() -> dict[str, Any]:
        schema = built()
        operation = schema["paths"]["/api/work-items/{item_id}/decisions/{name}"]["post"]
        if DECISIONS_EXTENSION not in operation:
            models = {d.body for d in decisions.values()}
            _, shared = models_json_schema([(m, "validation") for m in models],
                                           ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                shared.get("$defs", {}))
            operation[DECISIONS_EXTENSION] = {
                name: {"$ref": f"#/components/schemas/{d.body.__name__}",
                       "summary": d.summary, "kinds": sorted(d.kinds)}
                for name, d in sorted(decisions.items())}
        return schema

    app.openapi = document  # type: ignore[method-assign]


def add_item_routes(app: FastAPI, queue: "WorkQueue", current_officer: OfficerDependency) -> None:
    """Listing the items, showing one, claiming one."""
    CurrentOfficer = Annotated[Officer, Depends(current_officer)]

    @app.get("/api/work-items", response_model=list[ItemView])
    async def list_items(request: Request, officer: CurrentOfficer, session: Session,
                         state: Literal["open", "waiting", "done", "all"] = "open",
                         overdue: Annotated[bool, Query(description=(
                             "Only the items past their due time and not done"))] = False,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Any:
        return await queue.list_items(session, officer, state, limit, overdue=overdue,
                                      client=_client(request))

    @app.get("/api/work-items/{item_id}", response_model=ItemView)
    async def get_item(item_id: uuid.UUID, request: Request, officer: CurrentOfficer,
                       session: Session) -> Any:
        queue.check_reader(officer)
        item = await queue.item_of(session, item_id, officer)
        return (await queue.views(session, [item], datetime.now(timezone.utc), officer,
                                  _client(request)))[0]

    @app.post("/api/work-items/{item_id}/claim", response_model=ItemView)
    async def claim(item_id: uuid.UUID, request: Request, officer: CurrentOfficer,
                    session: Session) -> Any:
        return await queue.claim(session, item_id, officer, client=_client(request))


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def add_document_route(app: FastAPI, queue: "WorkQueue", current_officer: OfficerDependency,
                       documents: Mapping[str, ItemDocument]) -> None:
    """An item's documents, drawn on request for a reader of the item's agency."""
    if not documents:
        return
    CurrentOfficer = Annotated[Officer, Depends(current_officer)]
    described = "; ".join(f"`{name}`: {d.summary}" for name, d in sorted(documents.items()))

    @app.get("/api/work-items/{item_id}/documents/{name}", response_class=Response,
             description=f"The documents: {described}.", responses={
                 200: {"content": {d.media_type: {} for d in documents.values()}},
                 404: {"description": "No such item here, or no such document"},
                 409: {"description": "The item has no such document yet"},
                 503: {"description": "The read could not be recorded in the access log"}})
    async def document(item_id: uuid.UUID, name: str, request: Request,
                       officer: CurrentOfficer, session: Session) -> Response:
        queue.check_reader(officer)
        wanted = documents.get(name)
        if wanted is None:
            raise HTTPException(404, detail={"message": f"{queue.stage.name} draws no document "
                                                        f"{name!r}; it draws: "
                                                        f"{', '.join(sorted(documents))}"})
        item = await queue.item_of(session, item_id, officer)
        try:
            content = await wanted.render(session, item, officer)
        except Rejected as error:
            raise HTTPException(409, detail={"message": str(error)}) from None
        if wanted.on_read is not None:
            try:
                await wanted.on_read(item, officer, content, _client(request))
            except ReadNotRecorded as error:
                raise HTTPException(503, detail={"message": str(error)},
                                    headers={"Retry-After": "5"}) from None
        code = (item.dossier or {}).get("code", str(item.id))
        return Response(content, media_type=wanted.media_type, headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="{code}-{wanted.file_name}"'})


def add_decision_route(app: FastAPI, queue: "WorkQueue",
                       current_officer: OfficerDependency) -> None:
    CurrentOfficer = Annotated[Officer, Depends(current_officer)]

    @app.post("/api/work-items/{item_id}/decisions/{name}", response_model=DecisionTaken,
              responses={409: {"description": "Not open, claimed by another, or not allowed"}})
    async def decide(item_id: uuid.UUID, name: str, request: Request, officer: CurrentOfficer,
                     session: Session) -> Any:
        queue.check_role(officer)
        decision = queue.decision(name)
        body = await _body(request, decision.body)
        return await queue.decide(session, item_id, name, decision, body, officer,
                                  client=_client(request))


@dataclass(frozen=True)
class WorkQueue:
    """One stage's work queue as its routes use it: the items of the agencies `scope` serves,
    and the decisions on them, which emit as this instance (`producer`, `sign`) to `topic`."""

    stage: Stage
    model: type[Any]
    decisions: Mapping[str, Decision]
    scope: AgencyScope
    producer: Producer
    topic: str
    sign: Callable[[bytes], str] | None
    on_commit: Callable[[], None]
    present: Present | None = None
    on_present: RecordPresented | None = None

    async def views(self, session: AsyncSession, items: Sequence[Any], now: datetime,
                    officer: Officer | None = None, client: str | None = None, *,
                    must_record: bool = True) -> list[ItemView]:
        """The items as `officer` sees them. The personal data `present` opens is in the
        access log first (`on_present`); when it cannot be recorded, a read is refused (503)
        and a decision's answer (`must_record=False`: the decision is taken) shows the item's
        context as stored, its personal data left sealed."""
        shown = await self.present(session, items) if self.present and items else {}
        opened = [item for item in items if item.id in shown]
        if opened and self.on_present is not None and officer is not None:
            try:
                await self.on_present(opened, officer, client)
            except ReadNotRecorded as error:
                if must_record:
                    raise HTTPException(503, detail={"message": str(error)},
                                        headers={"Retry-After": "5"}) from None
                shown = {}
        return [self.view(item, now, shown.get(item.id)) for item in items]

    def view(self, item: Any, now: datetime, context: dict[str, Any] | None = None) -> ItemView:
        facts = item.dossier
        return ItemView(
            id=item.id, dossier_id=item.dossier_id, code=facts.get("code", ""),
            procedure_code=item.procedure_code, agency=item.agency, kind=item.kind,
            state=item.state, waiting_for=item.waiting_for, opened_at=item.opened_at,
            due_at=item.due_at, overdue=item.state != DONE and item.due_at is not None
            and item.due_at < now, claimed_by=item.claimed_by, outcome=item.outcome,
            reason=item.reason, decided_by=item.decided_by,
            context=(item.context or {}) if context is None else context,
            answers=item.answers or [],
            decisions=sorted(name for name, d in self.decisions.items() if item.kind in d.kinds)
            if item.state == OPEN else [],
            terms=facts.get("terms"))

    def check_reader(self, officer: Officer) -> None:
        """Reading: the stage's role, or the agency's manager (who decides nothing)."""
        if officer.role != MANAGER:
            self.check_role(officer)

    def check_role(self, officer: Officer) -> None:
        stage = self.stage.name
        if officer.role != stage:
            raise HTTPException(403, detail={"message": f"role {officer.role} cannot act at "
                                                        f"{stage}; a {stage} officer "
                                                        "can"})

    async def item_of(self, session: AsyncSession, item_id: uuid.UUID, officer: Officer, *,
                      lock: bool = False) -> Any:
        item = await session.get(self.model, item_id, with_for_update=lock)
        if item is None:
            raise HTTPException(404, detail={"message": f"no work item {item_id}"})
        if not self.scope.serves(item.agency):
            raise HTTPException(404, detail={"message": self._served_elsewhere(item, item_id)})
        if item.agency != officer.agency:
            raise HTTPException(403, detail={"message": f"work item {item_id} belongs to agency "
                                                        f"{item.agency}, not {officer.agency}"})
        return item

    def _served_elsewhere(self, item: Any, item_id: uuid.UUID) -> str:
        """Not found *here*: the item exists, but at another instance of this stage."""
        stage, scope = self.stage.name, self.scope
        elsewhere = (f"agency {item.agency} has its own {stage} instance"
                     if scope.agency is None else
                     f"agency {item.agency} is served by another {stage} instance")
        return (f"work item {item_id} is not served by this {stage} instance, which serves "
                f"{scope}: {elsewhere}; decide it there")

    async def list_items(self, session: AsyncSession, officer: Officer, state: str,
                         limit: int, *, overdue: bool = False,
                         client: str | None = None) -> list[ItemView]:
        self.check_reader(officer)
        model = self.model
        now = datetime.now(timezone.utc)
        query = select(model).where(model.agency == officer.agency,
                                    self.scope.where(model.agency))
        if state != "all":
            query = query.where(model.state == state)
        if overdue:
            query = query.where(model.state != DONE, model.due_at < now)
        query = query.order_by(model.due_at.asc().nulls_last(), model.opened_at)
        items = list(await session.scalars(query.limit(min(limit, 1000))))
        return await self.views(session, items, now, officer, client)

    async def claim(self, session: AsyncSession, item_id: uuid.UUID,
                    officer: Officer, *, client: str | None = None) -> ItemView:
        self.check_role(officer)
        now = datetime.now(timezone.utc)
        async with session.begin():
            item = await self.item_of(session, item_id, officer, lock=True)
            _claimable(item, officer)
            item.claimed_by, item.claimed_at = officer.name, now
        return (await self.views(session, [item], now, officer, client, must_record=False))[0]

    def decision(self, name: str) -> Decision:
        decision = self.decisions.get(name)
        if decision is None:
            raise HTTPException(404, detail={"message": f"{self.stage.name} takes no decision "
                                                        f"{name!r}; it takes: "
                                                        f"{', '.join(sorted(self.decisions))}"})
        return decision

    async def decide(self, session: AsyncSession, item_id: uuid.UUID, name: str,
                     decision: Decision, body: Any, officer: Officer, *,
                     client: str | None = None) -> DecisionTaken:
        """The decision in one transaction with the item locked; its events to the outbox."""
        now = datetime.now(timezone.utc)
        emitter = Emitter(self.producer, self.topic, sign=self.sign)
        async with session.begin():
            item = await self.item_of(session, item_id, officer, lock=True)
            _claimable(item, officer)
            if item.kind not in decision.kinds:
                raise HTTPException(409, detail={"message": f"{name} does not apply to a "
                                                            f"{item.kind} item"})
            item.claimed_by = item.claimed_by or officer.name
            await self._apply(session, item, name, decision, body, emitter, officer, now)
            if emitter.messages:
                await session.execute(insert(self.stage.outbox),
                                      [message.as_row() for message in emitter.messages])
        self.on_commit()
        return DecisionTaken(item=(await self.views(session, [item], now, officer, client,
                                                    must_record=False))[0],
                             events=[_type_of(message.headers) for message in emitter.messages])

    async def _apply(self, session: AsyncSession, item: Any, name: str, decision: Decision,
                     body: Any, emitter: Emitter, officer: Officer, now: datetime) -> None:
        """Run the decision with the stage's repository preloaded for the item's dossier."""
        repository = self.stage.open_repository(session)
        # No event brought this decision: preload reads only an event's dossier_id, agency
        # and occurred_at, which the stand-in carries.
        stand_in = cast(Sequence[Event], [_ItemAsEvent(item.dossier_id, item.agency, now)])
        await repository.preload(stand_in)
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
        # A decision is a batch of one: what the repository keeps outside the session's unit
        # of work (intake's dossiers are plain rows) is written as the consumer writes it.
        save = getattr(repository, "save", None)
        if save is not None:
            await save()


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
                      decisions: Mapping[str, Decision], *, present: Present | None = None,
                      on_present: RecordPresented | None = None,
                      documents: Mapping[str, ItemDocument] | None = None
                      ) -> Callable[[async_sessionmaker[AsyncSession], Any], FastAPI]:
    """The `api` a stage service passes to `run_stage`: its work queue, with officers' tokens
    checked against the token issuer's public key, emitting as this instance."""

    signer = signer_from_settings(settings, stage.name)
    verifier = verifier_from_settings(settings, stage.name)

    def build(sessions: async_sessionmaker[AsyncSession], relay: Any) -> FastAPI:
        return create_work_queue_api(
            stage, model, decisions, sessions=sessions, producer=signer.producer,
            topic=settings.dossier_topic,
            current_officer=officer_from_bearer(verifier),
            on_commit=relay.wake, sign=signer.sign,
            max_body_bytes=settings.http_max_body_bytes, scope=settings.scope, present=present,
            on_present=on_present, documents=documents)

    return build
