"""The schema change every stage's migration history applies once (each service calls it from
its own revision): the chain links its consumer keeps (motcua_runtime.chains)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def upgrade(schema: str) -> None:
    op.create_table(
        "chain_links",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", "hash"),
        schema=schema,
    )


def downgrade(schema: str) -> None:
    op.drop_table("chain_links", schema=schema)
