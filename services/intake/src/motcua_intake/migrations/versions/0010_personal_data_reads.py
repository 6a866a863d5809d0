"""the access log of officers' reads of personal data: the log of file reads (0008) becomes
one log of every read, a dossier's file or the dossier itself (its applicant opened); the rows
already logged are kept, as reads of a file

Revision ID: 0010
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXED = ('read_at', 'officer', 'dossier_id')


def upgrade() -> None:
    op.rename_table('file_reads', 'personal_data_reads', schema='intake')
    op.execute('ALTER SEQUENCE intake.file_reads_id_seq RENAME TO personal_data_reads_id_seq')
    for column in INDEXED:
        op.execute(f'ALTER INDEX intake.ix_intake_file_reads_{column} '
                   f'RENAME TO ix_intake_personal_data_reads_{column}')
    op.execute('ALTER INDEX intake.file_reads_pkey RENAME TO personal_data_reads_pkey')
    # The rows of 0008 were all reads of a file: the default says so, then it goes.
    op.add_column('personal_data_reads', sa.Column(
        'what', sa.String(length=16), nullable=False, server_default='file'), schema='intake')
    op.alter_column('personal_data_reads', 'what', server_default=None, schema='intake')
    op.alter_column('personal_data_reads', 'sha256', nullable=True, schema='intake')
    op.create_index('ix_intake_personal_data_reads_dossier_code', 'personal_data_reads',
                    ['dossier_code'], schema='intake')


def downgrade() -> None:
    op.drop_index('ix_intake_personal_data_reads_dossier_code', 'personal_data_reads',
                  schema='intake')
    # Only reads of files fit the old log.
    op.execute("DELETE FROM intake.personal_data_reads WHERE what <> 'file'")
    op.alter_column('personal_data_reads', 'sha256', nullable=False, schema='intake')
    op.drop_column('personal_data_reads', 'what', schema='intake')
    op.execute('ALTER INDEX intake.personal_data_reads_pkey RENAME TO file_reads_pkey')
    for column in INDEXED:
        op.execute(f'ALTER INDEX intake.ix_intake_personal_data_reads_{column} '
                   f'RENAME TO ix_intake_file_reads_{column}')
    op.execute('ALTER SEQUENCE intake.personal_data_reads_id_seq RENAME TO file_reads_id_seq')
    op.rename_table('personal_data_reads', 'file_reads', schema='intake')
