"""round number: the 发文字号 of a finalised round's 考评结果通知书

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 08:40:00.000000

Adds `number_year`, `number_seq` and `number` to `assessment_round`, then numbers the rounds already
finalised, in finalisation order (finalised_at, id), from the `document_counter` series "assessment"
of the round's root organisation and the office's year of finalisation: `<root code>司考〔2026〕3号`,
as `portal.services.scoring.finalise` numbers new ones. Core SQL only, no ORM models.
"""
import sqlalchemy as sa
from alembic import op

from portal import clock

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

SERIES = 'assessment'

organization = sa.table('organization', sa.column('id', sa.Integer), sa.column('path', sa.String), sa.column('code', sa.String))
round_ = sa.table(
    'assessment_round',
    sa.column('id', sa.Integer),
    sa.column('organization_id', sa.Integer),
    sa.column('status', sa.String),
    sa.column('finalised_at', sa.DateTime(timezone=True)),
    sa.column('number_year', sa.Integer),
    sa.column('number_seq', sa.Integer),
    sa.column('number', sa.String),
)
counter = sa.table(
    'document_counter',
    sa.column('kind', sa.String),
    sa.column('organization_id', sa.Integer),
    sa.column('year', sa.Integer),
    sa.column('last_value', sa.Integer),
)


def _number_finalised_rounds():
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(round_.c.id, round_.c.finalised_at, organization.c.path)
        .select_from(round_.join(organization, organization.c.id == round_.c.organization_id))
        .where(round_.c.status == 'final', round_.c.finalised_at.is_not(None), round_.c.number.is_(None))
        .order_by(round_.c.finalised_at, round_.c.id)
    ).all()
    codes = dict(bind.execute(sa.select(organization.c.id, organization.c.code)).all())
    last = {
        (org_id, year): value
        for org_id, year, value in bind.execute(
            sa.select(counter.c.organization_id, counter.c.year, counter.c.last_value).where(counter.c.kind == SERIES)
        ).all()
    }
    known = set(last)
    for round_id, finalised_at, path in rows:
        root = int(path.strip('/').split('/')[0])
        year = clock.local_date(finalised_at).year  # the office's year (a naive value is UTC)
        seq = last.get((root, year), 0) + 1
        last[(root, year)] = seq
        bind.execute(
            round_.update()
            .where(round_.c.id == round_id)
            .values(number_year=year, number_seq=seq, number=f'{codes[root]}司考〔{year}〕{seq}号')
        )
    for (root, year), value in last.items():
        if (root, year) in known:
            bind.execute(
                counter.update()
                .where(counter.c.kind == SERIES, counter.c.organization_id == root, counter.c.year == year)
                .values(last_value=value)
            )
        else:
            bind.execute(counter.insert().values(kind=SERIES, organization_id=root, year=year, last_value=value))


def upgrade():
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('number_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('number', sa.String(length=40), nullable=True))
    _number_finalised_rounds()


def downgrade():
    op.execute(sa.text("DELETE FROM document_counter WHERE kind = 'assessment'"))
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        batch_op.drop_column('number')
        batch_op.drop_column('number_seq')
        batch_op.drop_column('number_year')
