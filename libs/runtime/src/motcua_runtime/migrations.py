"""Each service owns its schema and its own Alembic history. A service's `migrations/env.py` is
one call to `run_migrations(metadata)`; `upgrade()` runs a service's history to head."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from motcua_runtime.db import engine_url


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    """Upgrade `package`'s schema (e.g. "motcua_intake") to `revision`. Safe to run from several
    processes at once: the migration holds an advisory lock for its schema."""
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["database_url"] = database_url
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, revision)
        return
    # Alembic drives its own event loop below; keep it off the caller's running loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(command.upgrade, config, revision).result()


def run_migrations(metadata: MetaData) -> None:
    """Body of every service's env.py (online mode only: we always migrate a live database)."""
    url = context.config.attributes.get("database_url") or os.environ["DATABASE_URL"]
    asyncio.run(_run(url, metadata))


async def _run(url: str, metadata: MetaData) -> None:
    schema = metadata.schema
    assert schema, "every service keeps its tables in a schema of its own"
    engine = create_async_engine(engine_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": schema})
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await connection.commit()
            await connection.run_sync(_migrate, metadata)
            await connection.execute(text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": schema})
            await connection.commit()
    finally:
        await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=metadata.schema,
        include_schemas=True,
        include_name=lambda name, type_, _parent: type_ != "schema" or name == metadata.schema,
    )
    with context.begin_transaction():
        context.run_migrations()
