"""Alembic environment of the operations schema (see motcua_runtime.migrations)."""

from motcua_operations.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
