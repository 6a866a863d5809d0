"""audit schema: the append-only archive of the dossier topic

Revision ID: 0001
Revises:
Create Date: 2026-11-24 15:45:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.LargeBinary(), nullable=True),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('value_sha256', sa.LargeBinary(), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('broker_timestamp', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('topic', 'partition', 'offset', 'value_sha256', name='events_record_once'),
    schema='audit'
    )
    # Append-only, enforced by the database whoever connects: every UPDATE, DELETE or TRUNCATE
    # raises. (In production the service's role also gets only INSERT and SELECT; a superuser
    # can still drop triggers, which is what the replay against the broker's copy is for.)
    op.execute("""
        CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit.events is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute("""
        CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit.events
        FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()""")
    op.execute("""
        CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.events
        FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()""")
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit.events FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TABLE audit.events")
    op.execute("DROP FUNCTION audit.refuse_change()")
