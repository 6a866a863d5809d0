"""The tracking view's plain dossier row (motcua_intake.dossier_row) and its statements of
arrays (motcua_intake.row_statements): what `save` writes is what the fold set."""

from __future__ import annotations

import uuid

import pytest

from motcua_intake.dossier_row import DossierRow
from motcua_intake.orm import Dossier
from motcua_intake.row_statements import arrays, inserting, updating

TABLE = Dossier.__table__


def read_row(**values):
    return DossierRow.of({name: values.get(name) for name in DossierRow.COLUMNS})


def test_a_row_read_remembers_only_the_columns_set_since():
    row = read_row(id=uuid.uuid4(), code="X-1", status_code=2, lifecycle={"progress": 2})
    assert (row.changed, row.new) == (set(), False)

    row.status_code = 4
    row.lifecycle = {"progress": 4}

    assert row.changed == {"status_code", "lifecycle"}
    assert row.values()["status_code"] == 4


def test_a_new_row_is_new_and_refuses_what_is_not_a_column():
    row = DossierRow(id=uuid.uuid4(), code="X-2", status_code=1)
    assert row.new and row.changed == set() and row.facts is None
    with pytest.raises(TypeError, match="not columns of intake.dossiers: colour"):
        DossierRow(id=uuid.uuid4(), colour="red")


def test_the_arrays_are_one_per_column_json_as_text_and_none_as_null():
    rows = [read_row(id=uuid.uuid4(), status_code=3, facts={"due_at": "2026-03-02"}),
            read_row(id=uuid.uuid4(), status_code=4, facts=None)]

    parameters = arrays(TABLE, ("id", "facts", "status_code"), rows)

    assert parameters == {"p0": [rows[0].id, rows[1].id],
                          "p1": ['{"due_at":"2026-03-02"}', None], "p2": [3, 4]}


def test_the_statements_cast_each_array_and_json_back():
    update = str(updating(TABLE, ("facts", "status_code")))
    assert update == (
        "UPDATE intake.dossiers AS t SET facts = CAST(v.facts AS JSONB), "
        "status_code = v.status_code FROM unnest(CAST(:p0 AS UUID[]), CAST(:p1 AS TEXT[]), "
        "CAST(:p2 AS SMALLINT[])) AS v(id, facts, status_code) WHERE t.id = v.id")
    assert str(inserting(TABLE, ("id", "code"))) == (
        "INSERT INTO intake.dossiers (id, code) SELECT v.id, v.code "
        "FROM unnest(CAST(:p0 AS UUID[]), CAST(:p1 AS VARCHAR(40)[])) AS v(id, code)")
