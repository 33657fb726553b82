"""inspection tables: checklist templates, plans, tasks, submissions, notifications

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:32:04.458173

Tasks carry their idempotency key (plan, asset, due date) as a unique constraint, and
submissions the phone's client id; the indexes are what the inspector's list filters on.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import resilience.model

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('checklist_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('applies_to', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_checklist_templates_code_version'))
    )
    op.create_table('inspection_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('template_code', sa.String(length=40), nullable=False),
    sa.Column('collection', sa.String(length=32), nullable=False),
    sa.Column('selection', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('recurrence', sa.String(length=500), nullable=True),
    sa.Column('risk_based', sa.Boolean(), nullable=False),
    sa.Column('frequencies', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('team_role', sa.String(length=32), nullable=True),
    sa.Column('team_division', sa.String(length=12), nullable=True),
    sa.Column('open_days', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('generated_through', sa.Date(), nullable=True),
    sa.Column('planned_run_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('retired_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.String(length=64), nullable=True),
    sa.Column('retired_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans'))
    )
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plans_active'), ['active'], unique=False)

    op.create_table('notification_contacts',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_notification_contacts'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('kind', 'subject_id', 'username', name=op.f('uq_notifications_kind_subject_id_username'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['username', 'read_at'], unique=False)

    op.create_table('inspection_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('asset_collection', sa.String(length=32), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('asset_name', sa.String(length=200), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('rule', sa.String(length=500), nullable=True),
    sa.Column('assignee', sa.String(length=64), nullable=True),
    sa.Column('team_role', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=64), nullable=True),
    sa.Column('done_lon', sa.Float(), nullable=True),
    sa.Column('done_lat', sa.Float(), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('escalated_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_tasks_plan_id_inspection_plans')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_inspection_tasks_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_tasks')),
    sa.UniqueConstraint('plan_id', 'asset_collection', 'asset_id', 'due_on', name=op.f('uq_inspection_tasks_plan_id_asset_collection_asset_id_due_on'))
    )
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_tasks_asset', ['asset_collection', 'asset_id'], unique=False)
        batch_op.create_index('ix_inspection_tasks_assignee_status', ['assignee', 'status', 'opens_on'], unique=False)
        batch_op.create_index('ix_inspection_tasks_division_status', ['division_code', 'status', 'opens_on'], unique=False)
        batch_op.create_index('ix_inspection_tasks_status_closes', ['status', 'closes_on'], unique=False)

    op.create_table('inspection_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('defects', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('hazard_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('submitted_by', sa.String(length=64), nullable=False),
    sa.Column('at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_inspection_submissions_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_inspection_submissions_template_id_checklist_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_submissions')),
    sa.UniqueConstraint('client_id', name=op.f('uq_inspection_submissions_client_id'))
    )
    with op.batch_alter_table('inspection_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_submissions_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inspection_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_submissions_task_id'))

    op.drop_table('inspection_submissions')
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_tasks_status_closes')
        batch_op.drop_index('ix_inspection_tasks_division_status')
        batch_op.drop_index('ix_inspection_tasks_assignee_status')
        batch_op.drop_index('ix_inspection_tasks_asset')

    op.drop_table('inspection_tasks')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')

    op.drop_table('notifications')
    op.drop_table('notification_contacts')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plans_active'))

    op.drop_table('inspection_plans')
    op.drop_table('checklist_templates')
