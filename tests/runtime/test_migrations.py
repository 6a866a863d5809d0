"""Each service's Alembic history, run to head on a real Postgres, builds exactly the tables its
ORM declares: a hand-written migration that forgot a column or an index fails here, not in
production."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from motcua_runtime.db import create_engine

SCHEMAS = {
    "calendar": "motcua_catalogue.calendar_store:metadata",
    "telemetry": "motcua_telemetry.store:metadata",
    "intake": "motcua_intake.orm:Base.metadata",
    "appraisal": "motcua_appraisal.orm:Base.metadata",
    "approval": "motcua_approval.orm:Base.metadata",
    "signing": "motcua_signing.orm:Base.metadata",
    "delivery": "motcua_delivery.orm:Base.metadata",
    "operations": "motcua_operations.orm:Base.metadata",
    "portal": "motcua_portal.orm:Base.metadata",
}


def metadata_of(path: str) -> MetaData:
    module, _, attribute = path.partition(":")
    value: object = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    assert isinstance(value, MetaData)
    return value


@pytest.fixture(scope="module")
async def database_url(infra):
    url, _ = await infra.isolated("migrations")
    return url


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
async def test_the_migrated_schema_matches_the_orm(database_url, schema):
    metadata = metadata_of(SCHEMAS[schema])
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={
                    "include_schemas": True,
                    "include_name": lambda name, kind, _parent: kind != "schema"
                    or name == schema,
                }), metadata))
    finally:
        await engine.dispose()
    # The version table is Alembic's own, not the ORM's.
    differences = [d for d in differences
                   if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert differences == []
