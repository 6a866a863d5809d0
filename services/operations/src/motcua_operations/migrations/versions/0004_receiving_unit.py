"""the dossier's receiving unit beside its competent agency (intake regardless of
administrative boundary)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dossiers', sa.Column('receiving_unit', sa.String(length=32), nullable=True),
                  schema='operations')
    op.create_index('ix_operations_dossiers_receiving_unit', 'dossiers', ['receiving_unit'],
                    unique=False, schema='operations')


def downgrade() -> None:
    op.drop_index('ix_operations_dossiers_receiving_unit', table_name='dossiers',
                  schema='operations')
    op.drop_column('dossiers', 'receiving_unit', schema='operations')
