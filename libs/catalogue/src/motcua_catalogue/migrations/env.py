"""Alembic environment of the calendar schema (see motcua_runtime.migrations)."""

from motcua_catalogue.calendar_store import metadata
from motcua_runtime.migrations import run_migrations

run_migrations(metadata)
