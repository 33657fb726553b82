"""attachments: photos, drawings and documents of an asset

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from resilience.model import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('collection', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('division_code', sa.String(length=12), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('uploaded_by', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['division_code'], ['divisions.code'],
                                name=op.f('fk_attachments_division_code_divisions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    )
    op.create_index('ix_attachments_record', 'attachments', ['collection', 'record_id'], unique=False)
    op.create_index(op.f('ix_attachments_sha256'), 'attachments', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_attachments_sha256'), table_name='attachments')
    op.drop_index('ix_attachments_record', table_name='attachments')
    op.drop_table('attachments')
