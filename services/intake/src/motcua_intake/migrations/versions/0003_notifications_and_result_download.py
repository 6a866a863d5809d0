"""notifications queue; the signed result's hash and delivery channel on dossiers

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dossiers', sa.Column('result_sha256', sa.String(length=64), nullable=True),
                  schema='intake')
    op.add_column('dossiers', sa.Column('delivered_via', sa.String(length=16), nullable=True),
                  schema='intake')
    op.create_table(
        'notifications',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('dossier_id', sa.Uuid(), nullable=False),
        sa.Column('event_id', sa.Uuid(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('recipient', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True),
                  server_default=sa.text('now()'), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        schema='intake',
    )
    op.create_index(op.f('ix_intake_notifications_dossier_id'), 'notifications', ['dossier_id'],
                    unique=False, schema='intake')
    op.create_index('ix_notifications_due', 'notifications', ['next_attempt_at'], unique=False,
                    schema='intake', postgresql_where=sa.text('sent_at IS NULL AND failed_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_notifications_due', table_name='notifications', schema='intake')
    op.drop_index(op.f('ix_intake_notifications_dossier_id'), table_name='notifications',
                  schema='intake')
    op.drop_table('notifications', schema='intake')
    op.drop_column('dossiers', 'delivered_via', schema='intake')
    op.drop_column('dossiers', 'result_sha256', schema='intake')
