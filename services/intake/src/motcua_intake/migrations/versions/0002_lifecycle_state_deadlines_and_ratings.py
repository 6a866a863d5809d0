"""lifecycle state, deadlines and ratings

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


def upgrade() -> None:
    add = lambda column: op.add_column('dossiers', column, schema='intake')  # noqa: E731
    add(sa.Column('lifecycle', postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                  server_default='{}'))
    add(sa.Column('facts', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    add(sa.Column('last_event_id', sa.Uuid(), nullable=True))
    add(sa.Column('last_event_hash', sa.String(length=64), nullable=True))
    add(sa.Column('fees_paid', sa.Integer(), nullable=False, server_default='0'))
    add(sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True))
    add(sa.Column('waiting_on_event_id', sa.Uuid(), nullable=True))
    add(sa.Column('waiting_on_event_hash', sa.String(length=64), nullable=True))
    add(sa.Column('supplement_due_at', sa.DateTime(timezone=True), nullable=True))
    add(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
    add(sa.Column('on_time', sa.Boolean(), nullable=True))
    add(sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_intake_dossiers_supplement_due_at'), 'dossiers',
                    ['supplement_due_at'], unique=False, schema='intake')
    op.add_column('timeline', sa.Column('hash', sa.String(length=64), nullable=True),
                  schema='intake')
    op.add_column('timeline', sa.Column('status_code', sa.SmallInteger(), nullable=True),
                  schema='intake')
    op.add_column('timeline', sa.Column('holder', sa.String(length=16), nullable=True),
                  schema='intake')
    op.add_column('timeline', sa.Column('note', sa.Text(), nullable=True), schema='intake')
    op.create_table('ratings',
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('indicators', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('convenience', sa.String(length=16), nullable=False),
    sa.Column('overall', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['intake.dossiers.id'], ),
    sa.PrimaryKeyConstraint('dossier_id'),
    schema='intake'
    )


def downgrade() -> None:
    op.drop_table('ratings', schema='intake')
    for column in ('note', 'holder', 'status_code', 'hash'):
        op.drop_column('timeline', column, schema='intake')
    op.drop_index(op.f('ix_intake_dossiers_supplement_due_at'), table_name='dossiers',
                  schema='intake')
    for column in ('overdue_at', 'on_time', 'ended_at', 'supplement_due_at', 'waiting_on_event_hash',
                   'waiting_on_event_id', 'waiting_since', 'fees_paid',
                   'last_event_hash', 'last_event_id', 'facts', 'lifecycle'):
        op.drop_column('dossiers', column, schema='intake')
