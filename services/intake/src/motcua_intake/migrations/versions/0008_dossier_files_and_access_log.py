"""the files intake stored (by SHA-256), the access log of officers' reads of them, and the
agency each timeline event was addressed to (who may read the files)

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('timeline', sa.Column('addressed_to', sa.String(length=32), nullable=True),
                  schema='intake')
    op.create_table(
        'files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('media_type', sa.String(length=32), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('sha256'),
        schema='intake',
    )
    op.create_table(
        'file_reads',
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('officer', sa.String(length=128), nullable=False),
        sa.Column('agency', sa.String(length=32), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('dossier_id', sa.Uuid(), nullable=False),
        sa.Column('dossier_code', sa.String(length=40), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='intake',
    )
    for column in ('read_at', 'officer', 'dossier_id'):
        op.create_index(f'ix_intake_file_reads_{column}', 'file_reads', [column],
                        schema='intake')


def downgrade() -> None:
    op.drop_table('file_reads', schema='intake')
    op.drop_table('files', schema='intake')
    op.drop_column('timeline', 'addressed_to', schema='intake')
