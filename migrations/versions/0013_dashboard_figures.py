"""dashboard figures: 办结日期 on cases, the summary tables, and indexes for open-case figures

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00.000000

Cases concluded before this revision get their 办结日期 from what they recorded: a settled case the
date of its agreement, an unsettled one the (Beijing) day of its 调解不成 step. The summary tables
are then counted from the ledger (services/tally.py keeps them current from here on).
"""
from alembic import op
import sqlalchemy as sa

from portal import clock
from portal.services import tally

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

STATUSES = (
    'registered', 'assigned', 'mediating', 'settled', 'failed', 'referred', 'followed_up', 'suspended',
    'closed', 'voided',
)


def upgrade():
    with op.batch_alter_table('dispute_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('concluded_on', sa.Date(), nullable=True))
        batch_op.create_index(
            'ix_dispute_case_numbering_accepted', ['numbering_organization_id', 'accepted_on'], unique=False
        )
        batch_op.create_index(
            'ix_dispute_case_status_figures',
            [
                'status', 'organization_id', 'deadline', 'last_activity_on', 'accepted_on', 'risk_level',
                'is_group', 'supervision_deadline',
            ],
            unique=False,
        )
    op.create_table('case_status_tally',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum(*STATUSES, name='casestatus', native_enum=False, length=24), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('timeliness', sa.String(length=10), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_case_status_tally_organization_id_organization')),
    sa.PrimaryKeyConstraint('organization_id', 'month', 'status', 'outcome', 'timeliness', name=op.f('pk_case_status_tally'))
    )
    op.create_table('case_type_tally',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('dispute_type_id', sa.Integer(), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dispute_type_id'], ['dispute_type.id'], name=op.f('fk_case_type_tally_dispute_type_id_dispute_type')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_case_type_tally_organization_id_organization')),
    sa.PrimaryKeyConstraint('organization_id', 'month', 'dispute_type_id', name=op.f('pk_case_type_tally'))
    )
    _backfill_concluded_on(op.get_bind())
    tally.rebuild(op.get_bind())


def _backfill_concluded_on(bind):
    cases = sa.table('dispute_case', sa.column('id', sa.Integer), sa.column('concluded_on', sa.Date))
    agreement = sa.table(
        'agreement', sa.column('case_id', sa.Integer), sa.column('signed_on', sa.Date)
    )
    event = sa.table(
        'case_event',
        sa.column('case_id', sa.Integer),
        sa.column('kind', sa.String),
        sa.column('at', sa.DateTime(timezone=True)),
    )
    signed = sa.select(agreement.c.signed_on).where(agreement.c.case_id == cases.c.id).scalar_subquery()
    bind.execute(
        sa.update(cases)
        .where(sa.exists().where(agreement.c.case_id == cases.c.id))
        .values(concluded_on=signed)
    )
    failed = bind.execute(
        sa.select(event.c.case_id, sa.func.min(event.c.at))
        .where(event.c.kind == 'fail')
        .group_by(event.c.case_id)
    ).all()
    rows = [
        {'case_id': case_id, 'day': clock.local_date(at)}
        for case_id, at in failed
        if at is not None
    ]
    if rows:
        bind.execute(
            sa.update(cases)
            .where(cases.c.id == sa.bindparam('case_id'), cases.c.concluded_on.is_(None))
            .values(concluded_on=sa.bindparam('day')),
            rows,
        )


def downgrade():
    op.drop_table('case_type_tally')
    op.drop_table('case_status_tally')
    op.drop_index('ix_dispute_case_status_figures', table_name='dispute_case')
    op.drop_index('ix_dispute_case_numbering_accepted', table_name='dispute_case')
    # Both databases drop a plain column in place (SQLite since 3.35); a batch copy of the ledger
    # would trip over the rows referring to it.
    op.execute('ALTER TABLE dispute_case DROP COLUMN concluded_on')
