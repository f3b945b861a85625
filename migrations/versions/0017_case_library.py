"""优秀案例库: excellent cases with their anonymised text, history and text revisions

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:10:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

STATUSES = ('draft', 'submitted', 'returned', 'published', 'rejected', 'withdrawn')
KINDS = ('propose', 'edit', 'submit', 'check', 'return', 'reject', 'publish', 'withdraw')


JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
INDEXED = ('case_id', 'dispute_type_id', 'organization_id', 'published_at', 'status', 'year')


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=24, create_constraint=False)


def upgrade():
    op.create_table(
        'excellent_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('proposal_no', sa.Integer(), server_default='1', nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('dispute_type_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('method_codes', sa.String(length=400), server_default=',', nullable=False),
        sa.Column('status', _enum(STATUSES, 'librarystatus'), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('process', sa.Text(), nullable=False),
        sa.Column('technique', sa.Text(), nullable=False),
        sa.Column('significance', sa.Text(), nullable=False),
        sa.Column('anon_title', sa.String(length=200), nullable=False),
        sa.Column('anon_summary', sa.Text(), nullable=False),
        sa.Column('anon_process', sa.Text(), nullable=False),
        sa.Column('anon_technique', sa.Text(), nullable=False),
        sa.Column('anon_significance', sa.Text(), nullable=False),
        sa.Column('anon_checked_by_id', sa.Integer(), nullable=True),
        sa.Column('anon_checked_by_name', sa.String(length=50), nullable=True),
        sa.Column('anon_checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('proposed_by_name', sa.String(length=50), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reviewed_by_name', sa.String(length=50), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=True),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_by_name', sa.String(length=50), nullable=True),
        sa.Column('withdraw_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['anon_checked_by_id'], ['user_account.id'],
                                name=op.f('fk_excellent_case_anon_checked_by_id_user_account')),
        sa.ForeignKeyConstraint(['case_id'], ['dispute_case.id'],
                                name=op.f('fk_excellent_case_case_id_dispute_case')),
        sa.ForeignKeyConstraint(['county_id'], ['organization.id'],
                                name=op.f('fk_excellent_case_county_id_organization')),
        sa.ForeignKeyConstraint(['dispute_type_id'], ['dispute_type.id'],
                                name=op.f('fk_excellent_case_dispute_type_id_dispute_type')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_excellent_case_organization_id_organization')),
        sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'],
                                name=op.f('fk_excellent_case_proposed_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_excellent_case')),
        sa.UniqueConstraint('case_id', 'proposal_no', name='uq_excellent_case_case_id_proposal_no'),
    )
    with op.batch_alter_table('excellent_case', schema=None) as batch_op:
        batch_op.create_index(
            'ix_excellent_case_library', ['county_id', 'status', 'published_at'], unique=False
        )
        for name in INDEXED:
            batch_op.create_index(batch_op.f(f'ix_excellent_case_{name}'), [name], unique=False)

    op.create_table(
        'excellent_case_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum(KINDS, 'excellentcaseeventkind'), nullable=False),
        sa.Column('from_status', _enum(STATUSES, 'librarystatus'), nullable=True),
        sa.Column('to_status', _enum(STATUSES, 'librarystatus'), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=50), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('details', JSON, nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_excellent_case_event_actor_id_user_account')),
        sa.ForeignKeyConstraint(['entry_id'], ['excellent_case.id'],
                                name=op.f('fk_excellent_case_event_entry_id_excellent_case')),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'],
                                name=op.f('fk_excellent_case_event_organization_id_organization')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_excellent_case_event')),
    )
    with op.batch_alter_table('excellent_case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_excellent_case_event_entry_id'), ['entry_id'], unique=False)

    op.create_table(
        'excellent_case_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('author_name', sa.String(length=50), nullable=False),
        sa.Column('reason', sa.String(length=50), nullable=False),
        sa.Column('texts', JSON, nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'],
                                name=op.f('fk_excellent_case_revision_author_id_user_account')),
        sa.ForeignKeyConstraint(['entry_id'], ['excellent_case.id'],
                                name=op.f('fk_excellent_case_revision_entry_id_excellent_case')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_excellent_case_revision')),
        sa.UniqueConstraint('entry_id', 'number', name='uq_excellent_case_revision_number'),
    )
    with op.batch_alter_table('excellent_case_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_excellent_case_revision_entry_id'), ['entry_id'], unique=False)


def downgrade():
    with op.batch_alter_table('excellent_case_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_excellent_case_revision_entry_id'))
    op.drop_table('excellent_case_revision')
    with op.batch_alter_table('excellent_case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_excellent_case_event_entry_id'))
    op.drop_table('excellent_case_event')
    with op.batch_alter_table('excellent_case', schema=None) as batch_op:
        for name in INDEXED:
            batch_op.drop_index(batch_op.f(f'ix_excellent_case_{name}'))
        batch_op.drop_index('ix_excellent_case_library')
    op.drop_table('excellent_case')
