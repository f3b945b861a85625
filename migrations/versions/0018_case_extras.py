"""case extras: 听证, 领导包案 (with 批示 and progress notes), 三调联动 referrals, 群众评议 on follow-ups

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 07:10:00.000000

Records kept beside a case's workflow (portal/models/case_extras.py), and the party's verdict
(满意/基本满意/不满意) with a comment on each 回访.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _stamps():
    return [
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    ]


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def upgrade():
    op.create_table('hearing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('presiding', sa.String(length=50), nullable=False),
    sa.Column('parties_present', sa.Text(), nullable=False),
    sa.Column('representatives', sa.Text(), nullable=True),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('outcome', _enum('hearingoutcome', 'consensus', 'opinion', 'divided'), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorder', sa.String(length=50), nullable=True),
    sa.Column('voided_on', sa.Date(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    *_stamps(),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'], name=op.f('fk_hearing_case_id_dispute_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hearing'))
    )
    with op.batch_alter_table('hearing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hearing_case_id'), ['case_id'], unique=False)

    op.create_table('hearing_mediator',
    sa.Column('hearing_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hearing_id'], ['hearing.id'], name=op.f('fk_hearing_mediator_hearing_id_hearing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], name=op.f('fk_hearing_mediator_mediator_id_mediator')),
    sa.PrimaryKeyConstraint('hearing_id', 'mediator_id', name=op.f('pk_hearing_mediator'))
    )
    with op.batch_alter_table('hearing_mediator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hearing_mediator_mediator_id'), ['mediator_id'], unique=False)

    op.create_table('hearing_expert',
    sa.Column('hearing_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_hearing_expert_expert_id_expert')),
    sa.ForeignKeyConstraint(['hearing_id'], ['hearing.id'], name=op.f('fk_hearing_expert_hearing_id_hearing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hearing_id', 'expert_id', name=op.f('pk_hearing_expert'))
    )
    with op.batch_alter_table('hearing_expert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hearing_expert_expert_id'), ['expert_id'], unique=False)

    op.create_table('leader_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.Column('leader_name', sa.String(length=50), nullable=False),
    sa.Column('leader_post', sa.String(length=100), nullable=False),
    sa.Column('level', _enum('leaderlevel', 'county', 'township'), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_note', sa.Text(), nullable=True),
    sa.Column('voided_on', sa.Date(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    *_stamps(),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'], name=op.f('fk_leader_charge_case_id_dispute_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['leader_id'], ['user_account.id'], name=op.f('fk_leader_charge_leader_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_charge'))
    )
    with op.batch_alter_table('leader_charge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leader_charge_case_id'), ['case_id'], unique=False)

    op.create_table('leader_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('charge_id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('leadernotekind', 'instruction', 'progress'), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('author_name', sa.String(length=50), nullable=False),
    *_stamps(),
    sa.ForeignKeyConstraint(['charge_id'], ['leader_charge.id'], name=op.f('fk_leader_note_charge_id_leader_charge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_note'))
    )
    with op.batch_alter_table('leader_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leader_note_charge_id'), ['charge_id'], unique=False)

    op.create_table('liaison',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('channel', _enum('liaisonchannel', 'court', 'police', 'petition'), nullable=False),
    sa.Column('direction', _enum('liaisondirection', 'out', 'in'), nullable=False),
    sa.Column('partner', sa.String(length=100), nullable=False),
    sa.Column('partner_contact', sa.String(length=50), nullable=True),
    sa.Column('partner_reference', sa.String(length=60), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('feedback_on', sa.Date(), nullable=True),
    sa.Column('outcome', _enum('liaisonoutcome', 'settled', 'failed', 'returned'), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('voided_on', sa.Date(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    *_stamps(),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'], name=op.f('fk_liaison_case_id_dispute_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_liaison'))
    )
    with op.batch_alter_table('liaison', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_liaison_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_liaison_channel'), ['channel'], unique=False)

    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evaluation', _enum('evaluation', 'satisfied', 'basic', 'dissatisfied'), nullable=True))
        batch_op.add_column(sa.Column('evaluation_comment', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_column('evaluation_comment')
        batch_op.drop_column('evaluation')
    op.drop_table('liaison')
    op.drop_table('leader_note')
    op.drop_table('leader_charge')
    op.drop_table('hearing_expert')
    op.drop_table('hearing_mediator')
    op.drop_table('hearing')
