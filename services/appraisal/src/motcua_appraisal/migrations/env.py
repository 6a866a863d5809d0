"""Alembic environment of the appraisal schema (see motcua_runtime.migrations)."""

from motcua_appraisal.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
