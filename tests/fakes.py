"""In-memory stand-ins for the repositories, and helpers to build the events other stages emit,
for unit tests of handlers (plain functions, no database, no broker)."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from motcua_catalogue.working_time import VIETNAM
from motcua_contracts import Event, Producer, event_hash, new_event, parse_event
from motcua_intake import personal
from motcua_runtime.stage import Emitter
from motcua_runtime.work_items import Cause
from tests.personal import TEST_KEYS, seal_personal

E = TypeVar("E", bound=Event)


class FakeWorkItems:
    """In memory, with the methods handlers use of motcua_runtime.work_items.WorkItems."""

    def __init__(self) -> None:
        self.by_dossier: dict[uuid.UUID, list[Any]] = defaultdict(list)
        self.keys = TEST_KEYS  # the data keys of the tests' dossiers (tests/personal.py)

    def for_dossier(self, dossier_id: uuid.UUID) -> list[Any]:
        return list(self.by_dossier[dossier_id])

    def add(self, item: Any) -> None:
        self.by_dossier[item.dossier_id].append(item)


class FakeDocumentStore(list):
    """In memory, signing's DocumentStore port."""

    def put(self, document: Any) -> None:
        self.append(document)


class FakeSigningRepository(FakeWorkItems):
    """In memory, with the methods handlers use of motcua_signing.repository.SigningRepository.
    As the real one, it hands out numbers only from the counters `preload` locked: those of the
    batch's agencies, for each event's year (Vietnam time) and this year."""

    def __init__(self) -> None:
        super().__init__()
        self.counters: dict[tuple[str, int], int] = {}
        self.documents = FakeDocumentStore()

    async def preload(self, events: Sequence[Any]) -> None:
        this_year = datetime.now(VIETNAM).year
        for event in events:
            for year in (event.occurred_at.astimezone(VIETNAM).year, this_year):
                self.counters.setdefault((event.agency, year), 0)

    def next_number(self, agency: str, year: int) -> int:
        self.counters[(agency, year)] += 1  # KeyError, as the real one, if not preloaded
        return self.counters[(agency, year)]




class FakeDossiers:
    """In memory, with the methods handlers use of motcua_intake.repository.Dossiers."""

    def __init__(self) -> None:
        self.dossiers: dict[uuid.UUID, Any] = {}
        self.timeline: list[Any] = []
        self.work_items = FakeWorkItems()  # the desk's (motcua_intake.desk_queue)

    def get(self, dossier_id: uuid.UUID) -> Any | None:
        return self.dossiers.get(dossier_id)

    def with_code(self, code: str) -> Any | None:
        return next((d for d in self.dossiers.values() if d.code == code), None)

    def add(self, dossier: Any) -> None:
        self.dossiers[dossier.id] = dossier

    def record(self, **entry: Any) -> None:
        self.timeline.append(SimpleNamespace(**entry))  # the entry's attributes, as a row

    # Personal data, opened and sealed with the tests' keys (tests/personal.py).
    keys = TEST_KEYS

    def person(self, dossier: Any) -> dict[str, Any] | None:
        return personal.person(self.keys, dossier)

    def seal_message(self, dossier: Any, recipient: str, message: Any) -> Any:
        body = self.keys.seal(dossier.id, {"to": recipient, "body": message.body})
        return dataclasses.replace(message, body=body.model_dump_json())


def emitted(emitter: Emitter) -> list:
    """The events a handler emitted, parsed back as a consumer would read them."""
    return [parse_event(message.value) for message in emitter.messages]


def drain(emitter: Emitter) -> list:
    """The events emitted since the last drain, parsed back; the emitter is emptied."""
    events = emitted(emitter)
    emitter.messages.clear()
    return events


def by(service: str, agency: str | None) -> Producer:
    return Producer(service=service, agency=agency)


def event(cls: type[E], *, producer: Producer, cause: Event | Cause | None = None,
          dossier_id: uuid.UUID | None = None, agency: str | None = None,
          at: datetime | None = None, actor: str = "auto", **payload: Any) -> E:
    """An event as another stage (or the applicant's desk) would emit it, linked to `cause`."""
    if cause is None and (dossier_id is None or agency is None):
        raise ValueError("a root event needs its dossier_id and agency")
    dossier_id = dossier_id or cause.dossier_id  # type: ignore[union-attr]
    return new_event(cls, dossier_id=dossier_id,
                     agency=agency or cause.agency, producer=producer,  # type: ignore[union-attr]
                     cause=cause, actor=actor, occurred_at=at,  # type: ignore[arg-type]
                     **seal_personal(dossier_id, payload, cls))


def at(emitted_event: E, when: datetime) -> E:
    """The same event, as if it had happened at `when` (handlers stamp the wall clock), with its
    hash computed again so that its causal links stay verifiable."""
    moved = emitted_event.model_copy(update={"occurred_at": when, "hash": None})
    return moved.model_copy(update={"hash": event_hash(moved.model_dump(mode="json"))})
