"""results: dossier code and signing certificate

The result is now a PAdES-sealed PDF: keep the fingerprint of the certificate that sealed it, and
the dossier code, by which the applicant downloads it. Both null on rows issued before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('results', sa.Column('dossier_code', sa.String(length=64), nullable=True),
                  schema='signing')
    op.add_column('results', sa.Column('certificate_fingerprint', sa.String(length=64),
                                       nullable=True), schema='signing')
    op.create_index(op.f('ix_signing_results_dossier_code'), 'results', ['dossier_code'],
                    unique=False, schema='signing')


def downgrade() -> None:
    op.drop_index(op.f('ix_signing_results_dossier_code'), table_name='results',
                  schema='signing')
    op.drop_column('results', 'certificate_fingerprint', schema='signing')
    op.drop_column('results', 'dossier_code', schema='signing')
