"""portal schema: each dossier's sync position, the queue of calls owed to the portal, and the
outbox, inbox, dead letters and chain links every consumer keeps

Revision ID: 0001
Revises:
Create Date: 2026-12-03 13:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from motcua_runtime import chain_migration, reliability_migration

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dossiers',
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('lifecycle', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('record', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('next_seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('on_portal', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('unsure', sa.Boolean(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('dossier_id'),
    sa.UniqueConstraint('code'),
    schema='portal'
    )
    op.create_table('calls',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dossier_id', 'seq'),
    schema='portal'
    )
    op.create_index('ix_portal_calls_pending', 'calls', ['dossier_id', 'seq'], unique=False, schema='portal', postgresql_where=sa.text('sent_at IS NULL'))
    op.create_table('inbox',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('message_id'),
    schema='portal'
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('key', sa.LargeBinary(), nullable=True),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='portal'
    )
    op.create_index('ix_outbox_unsent', 'outbox', ['id'], unique=False, schema='portal', postgresql_where=sa.text('sent_at IS NULL'))
    # The dead letters and the chain links, as every stage's history adds them.
    reliability_migration.upgrade('portal')
    chain_migration.upgrade('portal')


def downgrade() -> None:
    chain_migration.downgrade('portal')
    reliability_migration.downgrade('portal')
    op.drop_index('ix_outbox_unsent', table_name='outbox', schema='portal', postgresql_where=sa.text('sent_at IS NULL'))
    op.drop_table('outbox', schema='portal')
    op.drop_table('inbox', schema='portal')
    op.drop_index('ix_portal_calls_pending', table_name='calls', schema='portal', postgresql_where=sa.text('sent_at IS NULL'))
    op.drop_table('calls', schema='portal')
    op.drop_table('dossiers', schema='portal')
