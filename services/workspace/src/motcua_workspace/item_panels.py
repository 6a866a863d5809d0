"""What a stage's screens add to the item page (`/viec/{stage}/{item}`): each screen module
(draft.py, delivery_desk.py) registers a panel, an async function of the item on the page that
returns the values its template part reads (and may take some of the decisions' forms over,
shown in its panel instead of the side column). The item page asks every panel; a panel that
has nothing for this stage returns nothing. Here so that pages.py needs no screen module (they
import pages.py for its checks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from motcua_runtime.officers import Officer


@dataclass(frozen=True)
class ItemOnPage:
    ws: Any  # Workspace
    who: Any  # SignedIn
    officer: Officer  # as whom the page reads the item: the stage's officer, or a manager
    stage: str
    item: dict[str, Any]  # the work queue's view of the item
    dossier: dict[str, Any] | None  # intake's officer view, None when it could not be read
    forms: list[Any]  # the decisions' forms this officer may take now

    @property
    def acting(self) -> bool:
        return self.officer.role == self.stage


Panel = Callable[[ItemOnPage], Awaitable[dict[str, Any]]]
PANELS: list[Panel] = []


def panel(function: Panel) -> Panel:
    PANELS.append(function)
    return function


async def panels_for(on_page: ItemOnPage) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for function in PANELS:
        values.update(await function(on_page))
    return values
