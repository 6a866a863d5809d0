"""Alembic environment of the approval schema (see motcua_runtime.migrations)."""

from motcua_approval.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
