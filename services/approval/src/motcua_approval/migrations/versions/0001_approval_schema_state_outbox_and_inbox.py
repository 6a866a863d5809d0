"""approval schema: state, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-24 14:56:24.723840
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('message_id'),
    schema='approval'
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
    schema='approval'
    )
    op.create_index('ix_outbox_unsent', 'outbox', ['id'], unique=False, schema='approval', postgresql_where=sa.text('sent_at IS NULL'))
    op.create_table('work_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=False),
    sa.Column('dossier', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_event', sa.Uuid(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    schema='approval'
    )
    op.create_index(op.f('ix_approval_work_items_agency'), 'work_items', ['agency'], unique=False, schema='approval')
    op.create_index(op.f('ix_approval_work_items_dossier_id'), 'work_items', ['dossier_id'], unique=False, schema='approval')
    op.create_index(op.f('ix_approval_work_items_state'), 'work_items', ['state'], unique=False, schema='approval')


def downgrade() -> None:
    op.drop_index(op.f('ix_approval_work_items_state'), table_name='work_items', schema='approval')
    op.drop_index(op.f('ix_approval_work_items_dossier_id'), table_name='work_items', schema='approval')
    op.drop_index(op.f('ix_approval_work_items_agency'), table_name='work_items', schema='approval')
    op.drop_table('work_items', schema='approval')
    op.drop_index('ix_outbox_unsent', table_name='outbox', schema='approval', postgresql_where=sa.text('sent_at IS NULL'))
    op.drop_table('outbox', schema='approval')
    op.drop_table('inbox', schema='approval')
