"""outbox rows can be parked; the dead letters this consumer holds back

Revision ID: 0003
Revises: 0002
"""

from motcua_runtime import reliability_migration

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    reliability_migration.upgrade('delivery')


def downgrade() -> None:
    reliability_migration.downgrade('delivery')
