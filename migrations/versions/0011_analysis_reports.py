"""分析研判: the analyst's notes per organisation and period (with the 情况通报 number), and the
防止民转刑 / 防止群体性上访 flags of a case counted by the 司法部 statistics

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 09:00:00.000000

Cases recorded before this revision count as having averted neither; offices mark them at the next
correction.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'analysis_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('period_kind', sa.Enum('month', 'half', name='periodkind', native_enum=False, length=24,
                                         create_constraint=False), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('situation', sa.Text(), nullable=True),
        sa.Column('risks', sa.Text(), nullable=True),
        sa.Column('suggestions', sa.Text(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('circular_year', sa.Integer(), nullable=True),
        sa.Column('circular_seq', sa.Integer(), nullable=True),
        sa.Column('circular_number', sa.String(length=80), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_analysis_report_organization_id_organization')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'],
                                name=op.f('fk_analysis_report_updated_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_report')),
        sa.UniqueConstraint('organization_id', 'period_kind', 'period_start', name='uq_analysis_report_period'),
    )
    with op.batch_alter_table('analysis_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_report_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('dispute_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prevented_crime', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(
            sa.Column('prevented_group_petition', sa.Boolean(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('dispute_case', schema=None) as batch_op:
        batch_op.drop_column('prevented_group_petition')
        batch_op.drop_column('prevented_crime')
    with op.batch_alter_table('analysis_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_report_organization_id'))
    op.drop_table('analysis_report')
