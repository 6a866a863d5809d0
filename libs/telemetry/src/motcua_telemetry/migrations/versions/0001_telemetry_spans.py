"""telemetry schema: the local span store

Revision ID: 0001
Revises:
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('spans',
    sa.Column('trace_id', sa.Text(), nullable=False),
    sa.Column('span_id', sa.Text(), nullable=False),
    sa.Column('parent_span_id', sa.Text(), nullable=True),
    sa.Column('service', sa.Text(), nullable=False),
    sa.Column('agency', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('dossier_id', sa.Uuid(), nullable=True),
    sa.Column('dossier_code', sa.Text(), nullable=True),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('event_type', sa.Text(), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    schema='telemetry'
    )
    op.create_index('ix_spans_dossier_id', 'spans', ['dossier_id'], schema='telemetry')
    op.create_index('ix_spans_dossier_code', 'spans', ['dossier_code'], schema='telemetry')
    op.create_index('ix_spans_trace_id', 'spans', ['trace_id'], schema='telemetry')


def downgrade() -> None:
    op.drop_table('spans', schema='telemetry')
