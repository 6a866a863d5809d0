"""Alembic environment of the workspace schema (see motcua_runtime.migrations)."""

from motcua_runtime.migrations import run_migrations
from motcua_workspace.orm import Base

run_migrations(Base.metadata)
