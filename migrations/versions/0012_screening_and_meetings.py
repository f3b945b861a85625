"""排查 and 研判会议: screening plans, records and findings; meeting minutes, decisions, 交办 items and
their 督办 history

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:27:14.617471

New tables only; nothing existing changes.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('monthly', 'joint', name='meetingkind', native_enum=False, length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('host', sa.String(length=50), nullable=False),
    sa.Column('recorder', sa.String(length=50), nullable=True),
    sa.Column('external_attendees', sa.Text(), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_on', sa.Date(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_meeting_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_meeting_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_organization_id'), ['organization_id'], unique=False)

    op.create_table('screening_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('concentrated', 'special', 'rolling', name='screeningkind', native_enum=False, length=24), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('leader', sa.String(length=50), nullable=True),
    sa.Column('responsible_person', sa.String(length=50), nullable=False),
    sa.Column('requirements', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('active', 'completed', 'cancelled', name='planstatus', native_enum=False, length=24), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_screening_plan_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_screening_plan_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_plan'))
    )
    with op.batch_alter_table('screening_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_plan_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_plan_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_plan_period_end'), ['period_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_plan_period_start'), ['period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_plan_status'), ['status'], unique=False)

    op.create_table('meeting_expert',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_meeting_expert_expert_id_expert')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_expert_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('meeting_id', 'expert_id', name=op.f('pk_meeting_expert'))
    )
    with op.batch_alter_table('meeting_expert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_expert_expert_id'), ['expert_id'], unique=False)

    op.create_table('meeting_mediator',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], name=op.f('fk_meeting_mediator_mediator_id_mediator')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_mediator_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('meeting_id', 'mediator_id', name=op.f('pk_meeting_mediator'))
    )
    with op.batch_alter_table('meeting_mediator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_mediator_mediator_id'), ['mediator_id'], unique=False)

    op.create_table('meeting_organization',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_organization_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_meeting_organization_organization_id_organization')),
    sa.PrimaryKeyConstraint('meeting_id', 'organization_id', name=op.f('pk_meeting_organization'))
    )
    with op.batch_alter_table('meeting_organization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_organization_organization_id'), ['organization_id'], unique=False)

    op.create_table('meeting_user',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_user_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_meeting_user_user_id_user_account')),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_user'))
    )
    with op.batch_alter_table('meeting_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_user_user_id'), ['user_id'], unique=False)

    op.create_table('screening_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('concentrated', 'special', 'rolling', name='screeningkind', native_enum=False, length=24), nullable=False),
    sa.Column('theme', sa.String(length=100), nullable=True),
    sa.Column('screened_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('scope_note', sa.String(length=500), nullable=True),
    sa.Column('other_screeners', sa.String(length=200), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('result', sa.Enum('found', 'none', name='recordresult', native_enum=False, length=24), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_on', sa.Date(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_screening_record_organization_id_organization')),
    sa.ForeignKeyConstraint(['plan_id'], ['screening_plan.id'], name=op.f('fk_screening_record_plan_id_screening_plan')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_screening_record_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_record'))
    )
    with op.batch_alter_table('screening_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_record_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_record_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_record_period_start'), ['period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_record_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_record_result'), ['result'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_record_screened_on'), ['screened_on'], unique=False)

    op.create_table('meeting_case',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'], name=op.f('fk_meeting_case_case_id_dispute_case')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_case_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('meeting_id', 'case_id', name=op.f('pk_meeting_case'))
    )
    with op.batch_alter_table('meeting_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_case_case_id'), ['case_id'], unique=False)

    op.create_table('meeting_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'], name=op.f('fk_meeting_decision_case_id_dispute_case')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_decision_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_decision')),
    sa.UniqueConstraint('meeting_id', 'seq', name='uq_meeting_decision_meeting_id_seq')
    )
    with op.batch_alter_table('meeting_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_decision_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_decision_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('screening_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('parties', sa.String(length=200), nullable=True),
    sa.Column('people_involved', sa.Integer(), nullable=False),
    sa.Column('dispute_type_id', sa.Integer(), nullable=True),
    sa.Column('risk_level', sa.Enum('low', 'medium', 'high', name='risklevel', native_enum=False, length=24), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'registered', 'dismissed', name='findingstatus', native_enum=False, length=24), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('handled_on', sa.Date(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'], name=op.f('fk_screening_finding_case_id_dispute_case')),
    sa.ForeignKeyConstraint(['dispute_type_id'], ['dispute_type.id'], name=op.f('fk_screening_finding_dispute_type_id_dispute_type')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_screening_finding_handled_by_id_user_account')),
    sa.ForeignKeyConstraint(['record_id'], ['screening_record.id'], name=op.f('fk_screening_finding_record_id_screening_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_finding')),
    sa.UniqueConstraint('case_id', name=op.f('uq_screening_finding_case_id'))
    )
    with op.batch_alter_table('screening_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_finding_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_finding_status'), ['status'], unique=False)

    op.create_table('screening_record_area',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_screening_record_area_organization_id_organization')),
    sa.ForeignKeyConstraint(['record_id'], ['screening_record.id'], name=op.f('fk_screening_record_area_record_id_screening_record')),
    sa.PrimaryKeyConstraint('record_id', 'organization_id', name=op.f('pk_screening_record_area'))
    )
    with op.batch_alter_table('screening_record_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_record_area_organization_id'), ['organization_id'], unique=False)

    op.create_table('screening_record_mediator',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediator.id'], name=op.f('fk_screening_record_mediator_mediator_id_mediator')),
    sa.ForeignKeyConstraint(['record_id'], ['screening_record.id'], name=op.f('fk_screening_record_mediator_record_id_screening_record')),
    sa.PrimaryKeyConstraint('record_id', 'mediator_id', name=op.f('pk_screening_record_mediator'))
    )
    with op.batch_alter_table('screening_record_mediator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_record_mediator_mediator_id'), ['mediator_id'], unique=False)

    op.create_table('screening_record_user',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['screening_record.id'], name=op.f('fk_screening_record_user_record_id_screening_record')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_screening_record_user_user_id_user_account')),
    sa.PrimaryKeyConstraint('record_id', 'user_id', name=op.f('pk_screening_record_user'))
    )
    with op.batch_alter_table('screening_record_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_record_user_user_id'), ['user_id'], unique=False)

    op.create_table('screening_record_zero_report',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('zero_report_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['screening_record.id'], name=op.f('fk_screening_record_zero_report_record_id_screening_record')),
    sa.ForeignKeyConstraint(['zero_report_id'], ['zero_report.id'], name=op.f('fk_screening_record_zero_report_zero_report_id_zero_report')),
    sa.PrimaryKeyConstraint('record_id', 'zero_report_id', name=op.f('pk_screening_record_zero_report'))
    )
    with op.batch_alter_table('screening_record_zero_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_record_zero_report_zero_report_id'), ['zero_report_id'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('assigning_organization_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('owner_person', sa.String(length=50), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'cancelled', name='assignmentstatus', native_enum=False, length=24), nullable=False),
    sa.Column('escalated_on', sa.Date(), nullable=True),
    sa.Column('reminders', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_progress_on', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['assigning_organization_id'], ['organization.id'], name=op.f('fk_assignment_assigning_organization_id_organization')),
    sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'], name=op.f('fk_assignment_case_id_dispute_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_assignment_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['decision_id'], ['meeting_decision.id'], name=op.f('fk_assignment_decision_id_meeting_decision')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_assignment_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('number', name=op.f('uq_assignment_number'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_assigned_on'), ['assigned_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_assigning_organization_id'), ['assigning_organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_completed_on'), ['completed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_status'), ['status'], unique=False)

    op.create_table('assignment_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('assign', 'progress', 'remind', 'escalate', 'extend', 'complete', 'cancel', name='assignmenteventkind', native_enum=False, length=24), nullable=False),
    sa.Column('from_status', sa.Enum('open', 'done', 'cancelled', name='assignmentstatus', native_enum=False, length=24), nullable=True),
    sa.Column('to_status', sa.Enum('open', 'done', 'cancelled', name='assignmentstatus', native_enum=False, length=24), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_assignment_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_assignment_event_assignment_id_assignment')),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_assignment_event_organization_id_organization')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_event'))
    )
    with op.batch_alter_table('assignment_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_event_assignment_id'), ['assignment_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assignment_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_event_assignment_id'))

    op.drop_table('assignment_event')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_status'))
        batch_op.drop_index(batch_op.f('ix_assignment_organization_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_decision_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_deadline'))
        batch_op.drop_index(batch_op.f('ix_assignment_completed_on'))
        batch_op.drop_index(batch_op.f('ix_assignment_case_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_assigning_organization_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_assigned_on'))

    op.drop_table('assignment')
    with op.batch_alter_table('screening_record_zero_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_record_zero_report_zero_report_id'))

    op.drop_table('screening_record_zero_report')
    with op.batch_alter_table('screening_record_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_record_user_user_id'))

    op.drop_table('screening_record_user')
    with op.batch_alter_table('screening_record_mediator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_record_mediator_mediator_id'))

    op.drop_table('screening_record_mediator')
    with op.batch_alter_table('screening_record_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_record_area_organization_id'))

    op.drop_table('screening_record_area')
    with op.batch_alter_table('screening_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_finding_status'))
        batch_op.drop_index(batch_op.f('ix_screening_finding_record_id'))

    op.drop_table('screening_finding')
    with op.batch_alter_table('meeting_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_decision_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_decision_case_id'))

    op.drop_table('meeting_decision')
    with op.batch_alter_table('meeting_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_case_case_id'))

    op.drop_table('meeting_case')
    with op.batch_alter_table('screening_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_record_screened_on'))
        batch_op.drop_index(batch_op.f('ix_screening_record_result'))
        batch_op.drop_index(batch_op.f('ix_screening_record_plan_id'))
        batch_op.drop_index(batch_op.f('ix_screening_record_period_start'))
        batch_op.drop_index(batch_op.f('ix_screening_record_organization_id'))
        batch_op.drop_index(batch_op.f('ix_screening_record_kind'))

    op.drop_table('screening_record')
    with op.batch_alter_table('meeting_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_user_user_id'))

    op.drop_table('meeting_user')
    with op.batch_alter_table('meeting_organization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_organization_organization_id'))

    op.drop_table('meeting_organization')
    with op.batch_alter_table('meeting_mediator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_mediator_mediator_id'))

    op.drop_table('meeting_mediator')
    with op.batch_alter_table('meeting_expert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_expert_expert_id'))

    op.drop_table('meeting_expert')
    with op.batch_alter_table('screening_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_plan_status'))
        batch_op.drop_index(batch_op.f('ix_screening_plan_period_start'))
        batch_op.drop_index(batch_op.f('ix_screening_plan_period_end'))
        batch_op.drop_index(batch_op.f('ix_screening_plan_organization_id'))
        batch_op.drop_index(batch_op.f('ix_screening_plan_kind'))

    op.drop_table('screening_plan')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_organization_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_kind'))
        batch_op.drop_index(batch_op.f('ix_meeting_held_on'))

    op.drop_table('meeting')
