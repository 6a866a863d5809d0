"""Alembic environment of the telemetry schema (see motcua_runtime.migrations)."""

from motcua_runtime.migrations import run_migrations
from motcua_telemetry.store import metadata

run_migrations(metadata)
