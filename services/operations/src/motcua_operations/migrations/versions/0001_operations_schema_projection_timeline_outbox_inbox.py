"""operations schema: dossier projection, timeline, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-24 16:51:17.035896
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dossiers',
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('procedure_code', sa.String(length=32), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.SmallInteger(), nullable=False),
    sa.Column('holder', sa.String(length=16), nullable=True),
    sa.Column('lifecycle', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('step_due_at', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('step_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('marked_overdue', sa.Boolean(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('last_event_type', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dossier_id'),
    schema='operations'
    )
    op.create_index(op.f('ix_operations_dossiers_agency'), 'dossiers', ['agency'], unique=False, schema='operations')
    op.create_index(op.f('ix_operations_dossiers_delivered_at'), 'dossiers', ['delivered_at'], unique=False, schema='operations')
    op.create_index(op.f('ix_operations_dossiers_due_at'), 'dossiers', ['due_at'], unique=False, schema='operations')
    op.create_index(op.f('ix_operations_dossiers_ended_at'), 'dossiers', ['ended_at'], unique=False, schema='operations')
    op.create_index(op.f('ix_operations_dossiers_status_code'), 'dossiers', ['status_code'], unique=False, schema='operations')
    op.create_index(op.f('ix_operations_dossiers_submitted_at'), 'dossiers', ['submitted_at'], unique=False, schema='operations')
    op.create_index(op.f('ix_operations_dossiers_updated_at'), 'dossiers', ['updated_at'], unique=False, schema='operations')
    op.create_table('inbox',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('message_id'),
    schema='operations'
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
    schema='operations'
    )
    op.create_index('ix_outbox_unsent', 'outbox', ['id'], unique=False, schema='operations', postgresql_where=sa.text('sent_at IS NULL'))
    op.create_table('timeline',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('service', sa.String(length=16), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('status_code', sa.SmallInteger(), nullable=False),
    sa.Column('holder', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('event_id'),
    schema='operations'
    )
    op.create_index(op.f('ix_operations_timeline_dossier_id'), 'timeline', ['dossier_id'], unique=False, schema='operations')


def downgrade() -> None:
    op.drop_index(op.f('ix_operations_timeline_dossier_id'), table_name='timeline', schema='operations')
    op.drop_table('timeline', schema='operations')
    op.drop_index('ix_outbox_unsent', table_name='outbox', schema='operations', postgresql_where=sa.text('sent_at IS NULL'))
    op.drop_table('outbox', schema='operations')
    op.drop_table('inbox', schema='operations')
    op.drop_index(op.f('ix_operations_dossiers_updated_at'), table_name='dossiers', schema='operations')
    op.drop_index(op.f('ix_operations_dossiers_submitted_at'), table_name='dossiers', schema='operations')
    op.drop_index(op.f('ix_operations_dossiers_status_code'), table_name='dossiers', schema='operations')
    op.drop_index(op.f('ix_operations_dossiers_ended_at'), table_name='dossiers', schema='operations')
    op.drop_index(op.f('ix_operations_dossiers_due_at'), table_name='dossiers', schema='operations')
    op.drop_index(op.f('ix_operations_dossiers_delivered_at'), table_name='dossiers', schema='operations')
    op.drop_index(op.f('ix_operations_dossiers_agency'), table_name='dossiers', schema='operations')
    op.drop_table('dossiers', schema='operations')
