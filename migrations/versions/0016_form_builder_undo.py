"""form builder: the undo steps of a form definition's draft

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:00:00.000000

The builder keeps the drafts before its last edits (at most 20, since the last publish) so that an
administrator can undo an edit before publishing.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('form_definition', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('undo_stack', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('form_definition', schema=None) as batch_op:
        batch_op.drop_column('undo_stack')
