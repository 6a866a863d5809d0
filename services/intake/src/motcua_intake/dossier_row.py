"""A dossier's row as the tracking view folds it: orm.Dossier's columns as plain attributes,
remembering which were set. Not an ORM object: the consumer's repository (repository.Dossiers)
reads and writes a batch's rows in a few statements of its own, where building, setting,
inspecting and expunging instrumented objects and writing every column of every row was about a
fifth of the tracking view's CPU per event (issue 15). The HTTP side keeps orm.Dossier; what
both use (completeness, forms, notices, personal data) takes either, a `DossierRecord`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeAlias, cast

from sqlalchemy import Table

from motcua_intake.orm import Dossier


class DossierRow:
    id: uuid.UUID
    code: str
    procedure_code: str
    agency: str
    channel: str
    applicant: dict[str, Any]
    documents: list[dict[str, Any]]
    delivery: dict[str, Any]
    data: dict[str, Any]
    received_at: datetime
    status_code: int
    stage: str | None
    due_at: datetime | None
    last_event_type: str | None
    updated_at: datetime
    lifecycle: dict[str, Any]
    facts: dict[str, Any] | None
    last_event_id: uuid.UUID | None
    last_event_hash: str | None
    fees_paid: int
    waiting_since: datetime | None
    waiting_on_event_id: uuid.UUID | None
    waiting_on_event_hash: str | None
    supplement_due_at: datetime | None
    supplement_documents: list[str] | None
    ended_at: datetime | None
    on_time: bool | None
    overdue_at: datetime | None
    result_sha256: str | None
    delivered_via: str | None
    trace_parent: str | None
    catalogue_version: int | None
    case_code: str | None
    receiving_unit: str | None
    imported: dict[str, Any] | None

    COLUMNS = tuple(__annotations__)
    # `changed`: the columns set since the row was read; `new`: not in the table yet.
    __slots__ = (*COLUMNS, "changed", "new")
    changed: set[str]
    new: bool

    def __init__(self, **values: Any) -> None:
        """A new dossier's row: a column left out is null, as the ORM would insert it."""
        unknown = values.keys() - set(self.COLUMNS)
        if unknown:
            raise TypeError(f"not columns of intake.dossiers: {', '.join(sorted(unknown))}")
        for name in self.COLUMNS:
            object.__setattr__(self, name, values.get(name))
        object.__setattr__(self, "changed", set())
        object.__setattr__(self, "new", True)

    @classmethod
    def of(cls, values: Mapping[Any, Any]) -> DossierRow:
        """A row as read (a selected row's mapping of every column), nothing changed yet."""
        row = cls.__new__(cls)
        for name in cls.COLUMNS:
            object.__setattr__(row, name, values[name])
        object.__setattr__(row, "changed", set())
        object.__setattr__(row, "new", False)
        return row

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        self.changed.add(name)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.COLUMNS}


DossierRecord: TypeAlias = Dossier | DossierRow

# The row has the table's columns, no more and no fewer, each named as its attribute (a
# migration adds to both).
_TABLE = cast(Table, Dossier.__table__)
if set(DossierRow.COLUMNS) != {column.key for column in _TABLE.columns} or any(
        column.key != column.name for column in _TABLE.columns):
    raise RuntimeError("DossierRow's fields are not orm.Dossier's columns")
