"""the first answer to each Idempotency-Key of a filing

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idempotent_requests',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('request_sha256', sa.LargeBinary(), nullable=False),
        sa.Column('status_code', sa.SmallInteger(), nullable=False),
        sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('dossier_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('key'),
        schema='intake',
    )


def downgrade() -> None:
    op.drop_table('idempotent_requests', schema='intake')
