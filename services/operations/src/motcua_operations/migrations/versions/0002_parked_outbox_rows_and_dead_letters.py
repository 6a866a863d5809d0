"""outbox rows can be parked; the dead letters this consumer holds back

Revision ID: 0002
Revises: 0001
"""

from motcua_runtime import reliability_migration

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    reliability_migration.upgrade('operations')


def downgrade() -> None:
    reliability_migration.downgrade('operations')
