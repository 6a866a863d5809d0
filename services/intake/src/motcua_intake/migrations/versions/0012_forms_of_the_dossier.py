"""forms 01 to 05 of the dossier: queued with the event that calls for each, rendered and stored
sealed in the file store by the background worker (docs/forms.md)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dossier_forms',
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('dossier_id', sa.Uuid(), nullable=False),
        sa.Column('form', sa.String(length=2), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('facts', sa.Text(), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('stored_sha256', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['dossier_id'], ['intake.dossiers.id']),
        sa.PrimaryKeyConstraint('event_id'),
        schema='intake',
    )
    op.create_index('ix_intake_dossier_forms_dossier_id', 'dossier_forms', ['dossier_id'],
                    schema='intake')
    # The worker's query: what is still to render, oldest first.
    op.create_index('ix_intake_dossier_forms_due', 'dossier_forms', ['next_attempt_at'],
                    schema='intake',
                    postgresql_where=sa.text('stored_at IS NULL AND failed_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_intake_dossier_forms_due', 'dossier_forms', schema='intake')
    op.drop_index('ix_intake_dossier_forms_dossier_id', 'dossier_forms', schema='intake')
    op.drop_table('dossier_forms', schema='intake')
