"""the documents a supplement request asks for, one by one (SupplementRequested's
`missing_documents`), kept while the dossier waits for it: the desk's counter supplement offers a
file for each; null when not waiting (and for requests tracked before this column)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('dossiers', sa.Column('supplement_documents',
                                        postgresql.JSONB(astext_type=sa.Text()), nullable=True),
                  schema='intake')


def downgrade() -> None:
    op.drop_column('dossiers', 'supplement_documents', schema='intake')
