"""case search index: FTS5 table of two-character chunks (SQLite only)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 07:30:00

"""
from alembic import op

from portal.services import search

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL searches with LIKE; the FTS5 index is SQLite's answer to substring search at scale.
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(search.CREATE)
    search.rebuild(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TABLE IF EXISTS {search.TABLE}")
