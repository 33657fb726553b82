"""index audit_log.at: the dashboard's "this week" and the newest changes read it by time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:10:00.000000
"""

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
