"""catalogue versions: each imported catalogue with its effective time; the version and case
each dossier is handled under

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'catalogue_versions',
        sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('procedures', sa.Integer(), nullable=False),
        sa.Column('agencies', sa.Integer(), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('imported_by', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('version'),
        schema='intake',
    )
    op.create_index('ix_intake_catalogue_versions_effective_from', 'catalogue_versions',
                    ['effective_from'], unique=False, schema='intake')
    op.add_column('dossiers', sa.Column('catalogue_version', sa.Integer(), nullable=True),
                  schema='intake')
    op.add_column('dossiers', sa.Column('case_code', sa.String(length=32), nullable=True),
                  schema='intake')


def downgrade() -> None:
    op.drop_column('dossiers', 'case_code', schema='intake')
    op.drop_column('dossiers', 'catalogue_version', schema='intake')
    op.drop_index('ix_intake_catalogue_versions_effective_from', table_name='catalogue_versions',
                  schema='intake')
    op.drop_table('catalogue_versions', schema='intake')
