"""audit schema: where a broker restore put each archived record back

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:50:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('restored',
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('value_sha256', sa.LargeBinary(), nullable=False),
    sa.Column('archived_id', sa.BigInteger(), nullable=False),
    sa.Column('restored_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('topic', 'partition', 'offset', 'value_sha256'),
    schema='audit'
    )


def downgrade() -> None:
    op.execute("DROP TABLE audit.restored")
