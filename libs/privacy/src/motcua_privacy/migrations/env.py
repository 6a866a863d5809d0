"""Alembic environment of the privacy schema, the key store (see motcua_runtime.migrations)."""

from motcua_privacy.store import metadata
from motcua_runtime.migrations import run_migrations

run_migrations(metadata)
