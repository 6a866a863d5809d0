"""privacy schema: the dossiers' data keys (crypto-shredding)

Revision ID: 0001
Revises:
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dossier_keys',
    sa.Column('dossier_id', sa.Uuid(), nullable=False),
    sa.Column('dossier_code', sa.Text(), nullable=True),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('erased_by', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('lawful_request', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('dossier_id'),
    sa.UniqueConstraint('dossier_code'),
    schema='privacy'
    )


def downgrade() -> None:
    op.drop_table('dossier_keys', schema='privacy')
