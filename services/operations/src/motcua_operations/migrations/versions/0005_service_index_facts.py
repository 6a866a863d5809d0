"""what the national service index reads of each dossier: acceptance and its appointment, the
result's time, the waits on the applicant, the delivery channel, digitisation and the rating;
the administrators' alarm thresholds of the wallboard, and its staff's sessions

Rows folded before this revision have none of these facts: the index counts them from what
they have (a row without `result_at` is not resolved); rebuilding the view from the topic
(drop the consumer group's offsets and the rows) fills them in.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SCHEMA = 'operations'
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    for name, kind in (('accepted_at', _AT), ('first_due_at', _AT), ('result_at', _AT),
                       ('delivery_channel', sa.String(16)), ('rated_at', _AT),
                       ('rating_indicators', postgresql.JSONB()),
                       ('rating_overall', sa.String(16))):
        op.add_column('dossiers', sa.Column(name, kind, nullable=True), schema=SCHEMA)
    op.add_column('dossiers', sa.Column('waits', postgresql.JSONB(), nullable=False,
                                        server_default=sa.text("'[]'::jsonb")), schema=SCHEMA)
    op.add_column('dossiers', sa.Column('digitised', sa.Boolean(), nullable=False,
                                        server_default=sa.false()), schema=SCHEMA)
    op.create_index('ix_operations_dossiers_result_at', 'dossiers', ['result_at'],
                    schema=SCHEMA)
    op.create_index('ix_operations_dossiers_rated_at', 'dossiers', ['rated_at'], schema=SCHEMA)
    op.create_table(
        'thresholds',
        sa.Column('name', sa.String(48), primary_key=True),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('set_by', sa.String(128), nullable=False),
        sa.Column('set_at', _AT, nullable=False),
        schema=SCHEMA)
    op.create_table(
        'sessions',
        sa.Column('token_sha256', sa.String(64), primary_key=True),
        sa.Column('user_name', sa.String(64), nullable=False),
        sa.Column('csrf_token', sa.String(64), nullable=False),
        sa.Column('created_at', _AT, nullable=False),
        sa.Column('last_seen_at', _AT, nullable=False),
        schema=SCHEMA)
    op.create_index('ix_operations_sessions_user_name', 'sessions', ['user_name'],
                    schema=SCHEMA)


def downgrade() -> None:
    op.drop_table('sessions', schema=SCHEMA)
    op.drop_table('thresholds', schema=SCHEMA)
    op.drop_index('ix_operations_dossiers_rated_at', 'dossiers', schema=SCHEMA)
    op.drop_index('ix_operations_dossiers_result_at', 'dossiers', schema=SCHEMA)
    for name in ('accepted_at', 'first_due_at', 'result_at', 'delivery_channel', 'rated_at',
                 'rating_indicators', 'rating_overall', 'waits', 'digitised'):
        op.drop_column('dossiers', name, schema=SCHEMA)
