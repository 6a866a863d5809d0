"""Alembic environment of the intake schema (see motcua_runtime.migrations)."""

from motcua_intake.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
