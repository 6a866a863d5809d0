"""outbox rows can be parked; the dead letters this consumer holds back

Revision ID: 0004
Revises: 0003
"""

from motcua_runtime import reliability_migration

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    reliability_migration.upgrade('signing')


def downgrade() -> None:
    reliability_migration.downgrade('signing')
