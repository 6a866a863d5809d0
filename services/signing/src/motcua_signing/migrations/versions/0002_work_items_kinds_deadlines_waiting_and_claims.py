"""work items: kinds, deadlines, waiting for answers, claims

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = postgresql.JSONB(astext_type=sa.Text())
COLUMNS = [
    sa.Column('kind', sa.String(length=16), nullable=False, server_default='dossier'),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cause_event_id', sa.Uuid(), nullable=True),
    sa.Column('cause_hash', sa.String(length=64), nullable=True),
    sa.Column('waiting_for', sa.String(length=16), nullable=True),
    sa.Column('awaiting', JSON, nullable=False, server_default='[]'),
    sa.Column('answers', JSON, nullable=False, server_default='[]'),
    sa.Column('context', JSON, nullable=False, server_default='{}'),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_with_event', sa.Uuid(), nullable=True),
]


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column('work_items', column, schema='signing')
    op.create_index(op.f('ix_signing_work_items_due_at'), 'work_items', ['due_at'],
                    unique=False, schema='signing')


def downgrade() -> None:
    op.drop_index(op.f('ix_signing_work_items_due_at'), table_name='work_items', schema='signing')
    for column in reversed(COLUMNS):
        op.drop_column('work_items', column.name, schema='signing')
