"""In-memory stand-ins for the repositories, for unit tests of handlers (plain functions)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from motcua_contracts import parse_event
from motcua_runtime.stage import Emitter


class FakeWorkItems:
    """In memory, with the methods handlers use of motcua_runtime.work_items.WorkItems."""

    def __init__(self) -> None:
        self.by_dossier: dict[uuid.UUID, list[Any]] = defaultdict(list)

    def for_dossier(self, dossier_id: uuid.UUID) -> list[Any]:
        return list(self.by_dossier[dossier_id])

    def add(self, item: Any) -> None:
        self.by_dossier[item.dossier_id].append(item)


def emitted(emitter: Emitter) -> list:
    """The events a handler emitted, parsed back as a consumer would read them."""
    return [parse_event(message.value) for message in emitter.messages]
