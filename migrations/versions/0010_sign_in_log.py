"""sign-in log (登录日志); audit rows name the workflow step they took

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00.000000

Sign-ins, sign-outs and failed attempts written to the audit log before this revision are copied
into the new sign-in log. The audit log itself is left as it was: it is append-only, and what it
recorded then stays recorded.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

KINDS = {'login': 'sign_in', 'logout': 'sign_out', 'login_failed': 'failed'}


def upgrade():
    op.create_table('sign_in_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('sign_in', 'sign_out', 'failed', 'locked', 'unlocked', name='signinkind', native_enum=False, length=24), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('full_name', sa.String(length=50), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sign_in_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_event'))
    )
    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_event_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_event_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_event_username'), ['username'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.String(length=100), nullable=True))

    _copy_sign_ins()


def _copy_sign_ins():
    """Copy the audit log's sign-in rows ("admin 登录", "未知用户名 x") into the sign-in log."""
    bind = op.get_bind()
    audit = sa.table('audit_event', sa.column('at'), sa.column('action'), sa.column('entity_id'),
                     sa.column('actor_name'), sa.column('ip'), sa.column('summary'))
    users = sa.table('user_account', sa.column('id'), sa.column('username'), sa.column('full_name'))
    sign_ins = sa.table('sign_in_event', sa.column('at'), sa.column('kind'), sa.column('username'),
                        sa.column('user_id'), sa.column('full_name'), sa.column('ip'), sa.column('detail'))
    accounts = {str(row.id): row for row in bind.execute(sa.select(users.c.id, users.c.username, users.c.full_name))}
    query = sa.select(audit).where(audit.c.action.in_(list(KINDS))).order_by(audit.c.at)
    rows = []
    for old in bind.execute(query):
        account = accounts.get(old.entity_id or '')
        summary = old.summary or ''
        if account is not None:
            username = account.username
        else:
            username = summary.removeprefix('未知用户名 ').split(' ')[0] or '（未知）'
        rows.append({
            'at': old.at,
            'kind': KINDS[old.action],
            'username': username[:50],
            'user_id': account.id if account is not None else None,
            'full_name': account.full_name if account is not None else None,
            'ip': old.ip,
            'detail': ('审计日志迁入：' + summary)[:200],
        })
    if rows:
        op.bulk_insert(sign_ins, rows)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('step')

    with op.batch_alter_table('sign_in_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_event_username'))
        batch_op.drop_index(batch_op.f('ix_sign_in_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_sign_in_event_kind'))
        batch_op.drop_index(batch_op.f('ix_sign_in_event_at'))

    op.drop_table('sign_in_event')
