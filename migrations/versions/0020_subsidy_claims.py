"""以案定补申报: subsidy claims per organisation and quarter, their cases, lines and steps

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 07:20:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

STATUSES = ('declared', 'reviewed', 'approved', 'paid', 'withdrawn')
KINDS = ('declare', 'adjust', 'return', 'resubmit', 'withdraw', 'review', 'approve', 'pay')
METHODS = ('bank', 'salary_card', 'cash', 'other')
DIFFICULTIES = ('simple', 'normal', 'hard', 'major')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
AMOUNT = sa.Numeric(precision=14, scale=2)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=24, create_constraint=False)


def _fk(table, column, target):
    return sa.ForeignKeyConstraint(
        [column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}')
    )


def upgrade():
    op.create_table(
        'subsidy_claim',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('number', sa.String(length=60), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('status', _enum(STATUSES, 'claimstatus'), nullable=False),
        sa.Column('declared_total', AMOUNT, nullable=False),
        sa.Column('total', AMOUNT, nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('declared_on', sa.Date(), nullable=False),
        sa.Column('declared_by_id', sa.Integer(), nullable=True),
        sa.Column('return_reason', sa.Text(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('payment_method', _enum(METHODS, 'paymentmethod'), nullable=True),
        sa.Column('voucher_number', sa.String(length=60), nullable=True),
        sa.Column('paid_by_id', sa.Integer(), nullable=True),
        sa.Column('withdraw_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        _fk('subsidy_claim', 'organization_id', 'organization'),
        _fk('subsidy_claim', 'declared_by_id', 'user_account'),
        _fk('subsidy_claim', 'reviewed_by_id', 'user_account'),
        _fk('subsidy_claim', 'approved_by_id', 'user_account'),
        _fk('subsidy_claim', 'paid_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_claim')),
        sa.UniqueConstraint('number', name=op.f('uq_subsidy_claim_number')),
        sa.UniqueConstraint('organization_id', 'year', 'seq', name='uq_subsidy_claim_number_parts'),
    )
    with op.batch_alter_table('subsidy_claim', schema=None) as batch_op:
        for name in ('organization_id', 'period', 'status', 'declared_on', 'paid_on'):
            batch_op.create_index(batch_op.f(f'ix_subsidy_claim_{name}'), [name], unique=False)
        batch_op.create_index(
            'uq_subsidy_claim_live_period',
            ['organization_id', 'period'],
            unique=True,
            sqlite_where=sa.text("status <> 'withdrawn'"),
            postgresql_where=sa.text("status <> 'withdrawn'"),
        )

    op.create_table(
        'subsidy_claim_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('case_number', sa.String(length=60), nullable=False),
        sa.Column('organization_name', sa.String(length=100), nullable=False),
        sa.Column('difficulty', _enum(DIFFICULTIES, 'difficulty'), nullable=False),
        sa.Column('tier_amount', AMOUNT, nullable=False),
        sa.Column('signed_on', sa.Date(), nullable=False),
        sa.Column('released', sa.Boolean(), server_default='0', nullable=False),
        _fk('subsidy_claim_case', 'claim_id', 'subsidy_claim'),
        _fk('subsidy_claim_case', 'case_id', 'dispute_case'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_claim_case')),
        sa.UniqueConstraint('claim_id', 'case_id', name='uq_subsidy_claim_case_claim_id_case_id'),
    )
    with op.batch_alter_table('subsidy_claim_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_claim_case_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subsidy_claim_case_case_id'), ['case_id'], unique=False)
        # No double pay: a case is held by at most one claim that is not withdrawn.
        batch_op.create_index(
            'uq_subsidy_claim_case_live',
            ['case_id'],
            unique=True,
            sqlite_where=sa.text('released = 0'),
            postgresql_where=sa.text('NOT released'),
        )

    op.create_table(
        'subsidy_claim_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('claim_case_id', sa.Integer(), nullable=False),
        sa.Column('mediator_id', sa.Integer(), nullable=False),
        sa.Column('mediator_name', sa.String(length=50), nullable=False),
        sa.Column('mediator_org_name', sa.String(length=100), nullable=False),
        sa.Column('sharers', sa.Integer(), nullable=False),
        sa.Column('declared_amount', AMOUNT, nullable=False),
        sa.Column('amount', AMOUNT, nullable=False),
        sa.Column('adjust_reason', sa.Text(), nullable=True),
        _fk('subsidy_claim_line', 'claim_id', 'subsidy_claim'),
        _fk('subsidy_claim_line', 'claim_case_id', 'subsidy_claim_case'),
        _fk('subsidy_claim_line', 'mediator_id', 'mediator'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_claim_line')),
        sa.UniqueConstraint('claim_case_id', 'mediator_id', name='uq_subsidy_claim_line_claim_case_id'),
    )
    with op.batch_alter_table('subsidy_claim_line', schema=None) as batch_op:
        for name in ('claim_id', 'claim_case_id', 'mediator_id'):
            batch_op.create_index(batch_op.f(f'ix_subsidy_claim_line_{name}'), [name], unique=False)

    op.create_table(
        'subsidy_claim_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum(KINDS, 'claimeventkind'), nullable=False),
        sa.Column('from_status', _enum(STATUSES, 'claimstatus'), nullable=True),
        sa.Column('to_status', _enum(STATUSES, 'claimstatus'), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=50), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('details', JSON, nullable=False),
        _fk('subsidy_claim_event', 'claim_id', 'subsidy_claim'),
        _fk('subsidy_claim_event', 'actor_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_claim_event')),
    )
    with op.batch_alter_table('subsidy_claim_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_claim_event_claim_id'), ['claim_id'], unique=False)


def downgrade():
    with op.batch_alter_table('subsidy_claim_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_claim_event_claim_id'))
    op.drop_table('subsidy_claim_event')
    with op.batch_alter_table('subsidy_claim_line', schema=None) as batch_op:
        for name in ('claim_id', 'claim_case_id', 'mediator_id'):
            batch_op.drop_index(batch_op.f(f'ix_subsidy_claim_line_{name}'))
    op.drop_table('subsidy_claim_line')
    with op.batch_alter_table('subsidy_claim_case', schema=None) as batch_op:
        batch_op.drop_index('uq_subsidy_claim_case_live')
        batch_op.drop_index(batch_op.f('ix_subsidy_claim_case_case_id'))
        batch_op.drop_index(batch_op.f('ix_subsidy_claim_case_claim_id'))
    op.drop_table('subsidy_claim_case')
    with op.batch_alter_table('subsidy_claim', schema=None) as batch_op:
        batch_op.drop_index('uq_subsidy_claim_live_period')
        for name in ('organization_id', 'period', 'status', 'declared_on', 'paid_on'):
            batch_op.drop_index(batch_op.f(f'ix_subsidy_claim_{name}'))
    op.drop_table('subsidy_claim')
