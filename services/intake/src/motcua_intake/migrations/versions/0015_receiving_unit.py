"""the dossier's receiving unit, beside the competent agency (intake regardless of
administrative boundary): rows from before it stay null, their code's prefix names the unit

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dossiers', sa.Column('receiving_unit', sa.String(length=32), nullable=True),
                  schema='intake')
    op.create_index('ix_intake_dossiers_receiving_unit', 'dossiers', ['receiving_unit'],
                    unique=False, schema='intake')


def downgrade() -> None:
    op.drop_index('ix_intake_dossiers_receiving_unit', table_name='dossiers', schema='intake')
    op.drop_column('dossiers', 'receiving_unit', schema='intake')
