"""四定: the 化解措施 (定措施) fixed when a case is assigned

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:00:00.000000

Cases assigned before this revision have no measures; the case form asks for them at the next correction.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispute_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('measures', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('dispute_case', schema=None) as batch_op:
        batch_op.drop_column('measures')
