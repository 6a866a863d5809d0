"""Alembic environment of the portal schema (see motcua_runtime.migrations)."""

from motcua_portal.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
