"""the chain links the consumer keeps: an event whose cause it does not know is dead-lettered

Revision ID: 0005
Revises: 0004
"""

from motcua_runtime import chain_migration

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    chain_migration.upgrade('signing')


def downgrade() -> None:
    chain_migration.downgrade('signing')
