"""the chain links the consumer keeps: an event whose cause it does not know is dead-lettered

Revision ID: 0003
Revises: 0002
"""

from motcua_runtime import chain_migration

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    chain_migration.upgrade('operations')


def downgrade() -> None:
    chain_migration.downgrade('operations')
