"""workspace schema: officers' accounts and their sessions

Revision ID: 0001
Revises:
Create Date: 2026-12-03 12:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('agency', sa.String(length=16), nullable=False),
    sa.Column('roles', sa.ARRAY(sa.String(length=16)), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_name'),
    schema='workspace'
    )
    op.create_table('sessions',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['workspace.accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_sha256'),
    schema='workspace'
    )
    op.create_index(op.f('ix_workspace_sessions_account_id'), 'sessions', ['account_id'], unique=False, schema='workspace')


def downgrade() -> None:
    op.drop_index(op.f('ix_workspace_sessions_account_id'), table_name='sessions', schema='workspace')
    op.drop_table('sessions', schema='workspace')
    op.drop_table('accounts', schema='workspace')
