"""the chain links the consumer keeps: an event whose cause it does not know is dead-lettered

Revision ID: 0007
Revises: 0006
"""

from motcua_runtime import chain_migration

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    chain_migration.upgrade('intake')


def downgrade() -> None:
    chain_migration.downgrade('intake')
