"""dashboard figures index: the case id as its last column

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 12:00:00.000000

The dashboard's lists of overdue and high-risk cases pick their ten ids inside the index; on
PostgreSQL that needs the id in it to stay an index-only scan (SQLite keeps the rowid anyway).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COLUMNS = [
    'status', 'organization_id', 'deadline', 'last_activity_on', 'accepted_on', 'risk_level', 'is_group',
    'supervision_deadline',
]


def upgrade():
    op.drop_index('ix_dispute_case_status_figures', table_name='dispute_case')
    op.create_index('ix_dispute_case_status_figures', 'dispute_case', [*COLUMNS, 'id'], unique=False)


def downgrade():
    op.drop_index('ix_dispute_case_status_figures', table_name='dispute_case')
    op.create_index('ix_dispute_case_status_figures', 'dispute_case', COLUMNS, unique=False)
