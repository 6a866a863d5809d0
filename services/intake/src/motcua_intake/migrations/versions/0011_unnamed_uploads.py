"""when a filing or a supplement first named each stored file: an upload no dossier names is
deleted after INTAKE_UNNAMED_UPLOAD_HOURS; the files the dossiers already name count as named
since they were stored

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('files', sa.Column('named_at', sa.DateTime(timezone=True), nullable=True),
                  schema='intake')
    op.execute("""
        UPDATE intake.files SET named_at = stored_at
        WHERE sha256 IN (SELECT document ->> 'sha256' FROM intake.dossiers,
                         jsonb_array_elements(documents) AS document)""")
    op.create_index('ix_files_unnamed', 'files', ['stored_at'], schema='intake',
                    postgresql_where=sa.text('named_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_files_unnamed', 'files', schema='intake')
    op.drop_column('files', 'named_at', schema='intake')
