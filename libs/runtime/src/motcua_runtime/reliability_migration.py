"""The schema change that every stage's migration history applies once (each service calls it
from its own revision): outbox rows can be parked, and the dead letters a consumer holds back
have a table of their own. Kept here so that the six outbox-keeping schemas cannot drift apart."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def upgrade(schema: str) -> None:
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
                  schema=schema)
    op.add_column("outbox", sa.Column("park_reason", sa.Text(), nullable=True), schema=schema)
    op.drop_index("ix_outbox_unsent", table_name="outbox", schema=schema)
    op.create_index("ix_outbox_pending", "outbox", ["id"], schema=schema,
                    postgresql_where=sa.text("sent_at IS NULL AND parked_at IS NULL"))
    op.create_index("ix_outbox_parked", "outbox", ["id"], schema=schema,
                    postgresql_where=sa.text("parked_at IS NOT NULL AND sent_at IS NULL"))
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("dossier_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("requested", sa.String(length=16), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=True),
        sa.Column("request_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
        schema=schema,
    )
    op.create_index(f"ix_{schema}_dead_letters_dossier_id_state", "dead_letters",
                    ["dossier_id", "state"], schema=schema)
    op.create_index(f"ix_{schema}_dead_letters_state", "dead_letters", ["state"], schema=schema)


def downgrade(schema: str) -> None:
    op.drop_table("dead_letters", schema=schema)
    op.drop_index("ix_outbox_parked", table_name="outbox", schema=schema)
    op.drop_index("ix_outbox_pending", table_name="outbox", schema=schema)
    op.create_index("ix_outbox_unsent", "outbox", ["id"], schema=schema,
                    postgresql_where=sa.text("sent_at IS NULL"))
    op.drop_column("outbox", "park_reason", schema=schema)
    op.drop_column("outbox", "parked_at", schema=schema)
