"""Alembic environment of the signing schema (see motcua_runtime.migrations)."""

from motcua_signing.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
