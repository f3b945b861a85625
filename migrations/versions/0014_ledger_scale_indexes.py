"""ledger at scale: typed answer index (case_answer) and, on PostgreSQL, a GIN index of search bigrams

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 09:00:00

"""

import sqlalchemy as sa
from alembic import op

from portal.services import answer_index, search

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Double(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["dispute_case.id"],
            name=op.f("fk_case_answer_case_id_dispute_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_answer")),
    )
    bind = op.get_bind()
    answer_index.rebuild(bind)
    with op.batch_alter_table("case_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_answer_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_case_answer_number", ["key", "number", "case_id"], unique=False)
        batch_op.create_index("ix_case_answer_text", ["key", "text", "case_id"], unique=False)
    if bind.dialect.name == "postgresql":
        for statement in search.PG_FUNCTIONS:
            op.execute(statement)
        op.execute(search.PG_CREATE_INDEX)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {search.PG_INDEX}")
        op.execute("DROP FUNCTION IF EXISTS portal_case_bigrams(text, text, text)")
        op.execute("DROP FUNCTION IF EXISTS portal_bigrams(text)")
    with op.batch_alter_table("case_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_case_answer_text")
        batch_op.drop_index("ix_case_answer_number")
        batch_op.drop_index(batch_op.f("ix_case_answer_case_id"))
    op.drop_table("case_answer")
