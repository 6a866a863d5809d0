"""the chain links the consumer keeps: an event whose cause it does not know is dead-lettered

Revision ID: 0004
Revises: 0003
"""

from motcua_runtime import chain_migration

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    chain_migration.upgrade('appraisal')


def downgrade() -> None:
    chain_migration.downgrade('appraisal')
