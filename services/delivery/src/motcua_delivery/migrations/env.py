"""Alembic environment of the delivery schema (see motcua_runtime.migrations)."""

from motcua_delivery.orm import Base
from motcua_runtime.migrations import run_migrations

run_migrations(Base.metadata)
