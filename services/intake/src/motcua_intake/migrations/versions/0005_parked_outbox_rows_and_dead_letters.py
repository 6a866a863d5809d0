"""outbox rows can be parked; the dead letters this consumer holds back

Revision ID: 0005
Revises: 0004
"""

from motcua_runtime import reliability_migration

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    reliability_migration.upgrade('intake')


def downgrade() -> None:
    reliability_migration.downgrade('intake')
