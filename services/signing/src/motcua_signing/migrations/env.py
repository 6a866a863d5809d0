"""Alembic environment of the signing schema (see motcua_runtime.migrations)."""

from motcua_runtime.migrations import run_migrations
from motcua_signing.orm import Base

run_migrations(Base.metadata)
