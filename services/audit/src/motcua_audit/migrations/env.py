"""Alembic environment of the audit schema (see motcua_runtime.migrations)."""

from motcua_audit.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
