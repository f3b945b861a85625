"""ledger order index: accepted_on with the case id

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 08:15:00.000000

The ledger lists newest first by (accepted_on, id). With only accepted_on in the index PostgreSQL read
and sorted the whole latest day (1,458 rows at 1,000,000 cases) for a page of 20; with the id it reads
the page's rows. SQLite keeps the rowid in every index, so its plans do not change.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_dispute_case_accepted_on', table_name='dispute_case')
    op.create_index('ix_dispute_case_accepted_on', 'dispute_case', ['accepted_on', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_dispute_case_accepted_on', table_name='dispute_case')
    op.create_index('ix_dispute_case_accepted_on', 'dispute_case', ['accepted_on'], unique=False)
