"""the root trace context of each dossier

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dossiers', sa.Column('trace_parent', sa.String(length=64), nullable=True),
                  schema='intake')


def downgrade() -> None:
    op.drop_column('dossiers', 'trace_parent', schema='intake')
