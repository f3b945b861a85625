"""批量打印: the parts a job has written (its checkpoints for 重试)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 07:20:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table(
        'print_job_part',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('first', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('printed', JSON, nullable=False),
        sa.Column('skipped', JSON, nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=True),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['job_id'], ['print_job.id'], name=op.f('fk_print_job_part_job_id_print_job'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_print_job_part')),
        sa.UniqueConstraint('job_id', 'first', name=op.f('uq_print_job_part_job_id')),
    )
    with op.batch_alter_table('print_job_part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_job_part_job_id'), ['job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('print_job_part', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_job_part_job_id'))
    op.drop_table('print_job_part')
