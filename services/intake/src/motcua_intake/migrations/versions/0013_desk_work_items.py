"""the desk's work items: dossiers waiting for a desk officer's completeness check, where the
catalogue puts officers in charge of intake (motcua_intake.desk_queue)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

JSON = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    # The columns of every stage's work items (motcua_runtime.work_items.WorkItemColumns).
    op.create_table(
        'work_items',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('dossier_id', sa.Uuid(), nullable=False),
        sa.Column('agency', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('procedure_code', sa.String(length=64), nullable=False),
        sa.Column('dossier', JSON, nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('opened_by_event', sa.Uuid(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cause_event_id', sa.Uuid(), nullable=True),
        sa.Column('cause_hash', sa.String(length=64), nullable=True),
        sa.Column('waiting_for', sa.String(length=16), nullable=True),
        sa.Column('awaiting', JSON, nullable=False),
        sa.Column('answers', JSON, nullable=False),
        sa.Column('context', JSON, nullable=False),
        sa.Column('claimed_by', sa.String(length=128), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=128), nullable=True),
        sa.Column('closed_with_event', sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='intake',
    )
    for column in ('agency', 'dossier_id', 'state', 'due_at'):
        op.create_index(op.f(f'ix_intake_work_items_{column}'), 'work_items', [column],
                        unique=False, schema='intake')


def downgrade() -> None:
    for column in ('due_at', 'state', 'dossier_id', 'agency'):
        op.drop_index(op.f(f'ix_intake_work_items_{column}'), table_name='work_items',
                      schema='intake')
    op.drop_table('work_items', schema='intake')
