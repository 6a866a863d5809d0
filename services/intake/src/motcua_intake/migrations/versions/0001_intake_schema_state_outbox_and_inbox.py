"""intake schema: state, outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-24 14:56:24.097596
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('daily_counters',
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit', 'day'),
    schema='intake'
    )
    op.create_table('dossiers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('procedure_code', sa.String(length=32), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('applicant', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('documents', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('delivery', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.SmallInteger(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_event_type', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    schema='intake'
    )
    op.create_index(op.f('ix_intake_dossiers_agency'), 'dossiers', ['agency'], unique=False, schema='intake')
    op.create_index(op.f('ix_intake_dossiers_procedure_code'), 'dossiers', ['procedure_code'], unique=False, schema='intake')
    op.create_index(op.f('ix_intake_dossiers_status_code'), 'dossiers', ['status_code'], unique=False, schema='intake')
    op.create_table('inbox',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('message_id'),
    schema='intake'
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
    schema='intake'
    )
    op.create_index('ix_outbox_unsent', 'outbox', ['id'], unique=False, schema='intake', postgresql_where=sa.text('sent_at IS NULL'))
    op.create_table('timeline',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['intake.dossiers.id'], ),
    sa.PrimaryKeyConstraint('event_id'),
    schema='intake'
    )
    op.create_index(op.f('ix_intake_timeline_dossier_id'), 'timeline', ['dossier_id'], unique=False, schema='intake')


def downgrade() -> None:
    op.drop_index(op.f('ix_intake_timeline_dossier_id'), table_name='timeline', schema='intake')
    op.drop_table('timeline', schema='intake')
    op.drop_index('ix_outbox_unsent', table_name='outbox', schema='intake', postgresql_where=sa.text('sent_at IS NULL'))
    op.drop_table('outbox', schema='intake')
    op.drop_table('inbox', schema='intake')
    op.drop_index(op.f('ix_intake_dossiers_status_code'), table_name='dossiers', schema='intake')
    op.drop_index(op.f('ix_intake_dossiers_procedure_code'), table_name='dossiers', schema='intake')
    op.drop_index(op.f('ix_intake_dossiers_agency'), table_name='dossiers', schema='intake')
    op.drop_table('dossiers', schema='intake')
    op.drop_table('daily_counters', schema='intake')
