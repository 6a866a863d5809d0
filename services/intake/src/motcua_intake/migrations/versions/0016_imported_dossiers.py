"""dossiers brought in from the system being replaced (`motcua import-legacy`): the old system's
name and its history of the dossier, kept beside the tracking view; null for native dossiers

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dossiers', sa.Column('imported', postgresql.JSONB(astext_type=sa.Text()),
                                        nullable=True), schema='intake')


def downgrade() -> None:
    op.drop_column('dossiers', 'imported', schema='intake')
