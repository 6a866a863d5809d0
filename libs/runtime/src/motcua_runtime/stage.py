"""What a stage service is, for the shared consumer: its name, its handlers table, how it loads
its state for a batch, and its outbox and inbox. Each service builds one in its `handlers.py`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from motcua_contracts import Event, Producer, new_event, seal
from motcua_runtime.outbox import OutgoingMessage

if TYPE_CHECKING:
    from motcua_runtime.work_items import Cause

E = TypeVar("E", bound=Event)


class Repository(Protocol):
    """A batch's state. It may also have `async def save(self) -> None`, called once after
    the batch's handlers, in its transaction (and after an officer's decision, in the
    decision's): a repository that writes what they changed in a few statements of its own
    instead of the ORM's unit of work (one UPDATE per row)."""

    async def preload(self, events: Sequence[Event]) -> None:
        """Load, in as few queries as possible, the state a batch of events touches, so that
        handlers (plain functions, no I/O) find it in memory."""


class Rejected(Exception):
    """A well-formed event that this stage cannot apply (illegal transition, wrong agency, ...).
    It changes nothing and goes to the dead-letter topic with this message as the reason."""


@dataclass
class Emitter:
    """Collects the events a handler emits; they are written to the outbox in the same
    transaction as the state change. `sign` is the service's key (see motcua_runtime.keys):
    every event it emits is signed; unit tests of pure handlers may leave it out."""

    producer: Producer
    topic: str
    messages: list[OutgoingMessage] = field(default_factory=list)
    sign: Callable[[bytes], str] | None = None

    def emit(self, cls: type[E], *, cause: Event | Cause, actor: str = "auto",
             agency: str | None = None, **payload: Any) -> E:
        event = new_event(cls, dossier_id=cause.dossier_id, agency=agency or cause.agency,
                          producer=self.producer, cause=cause, actor=actor, sign=self.sign,  # type: ignore[arg-type]
                          **payload)
        self.messages.append(OutgoingMessage.for_event(self.topic, event))
        return event

    def emit_root(self, event: Event) -> None:
        """Emit an event that no other event caused (a submission over HTTP), signed as this
        service's."""
        if self.sign is not None:
            event = seal(event.model_copy(update={"producer": self.producer}), self.sign)
        self.messages.append(OutgoingMessage.for_event(self.topic, event))


Handler = Callable[[Any, Any, Emitter], None]


@dataclass(frozen=True)
class Stage:
    name: str
    handlers: Mapping[str, Handler]
    open_repository: Callable[[AsyncSession], Repository]
    outbox: Table
    inbox: Table
    # What this consumer could not apply, and the later events of a dossier held behind it
    # (motcua_runtime.db.dead_letters_table).
    dead_letters: Table | None = None
    # The stage that reads every event (intake's tracking view) also dead-letters messages that
    # no stage could read: unknown types, missing headers. Others skip what they do not handle.
    guards_topic: bool = False
    # The hashes of each dossier's history this consumer knows (motcua_runtime.chains): an
    # event whose cause is not among them is dead-lettered. None: no chain is kept (tests of a
    # consumer alone); every service's stage keeps one.
    chain_links: Table | None = None
