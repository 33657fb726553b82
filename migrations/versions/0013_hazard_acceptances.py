"""hidden hazards: the 督办 unit's acceptance recorded by a supervised hazard's 销号

A 挂牌督办 重大隐患 is closed only with the supervising unit's acceptance (16号令; DOMAIN.md
§10): who accepted it for the unit, when, the opinion and the signed document (one of the
hazard's attachments), one row beside the 销号 trail row. The re-grading (重新定级) and
extension (延期) steps need no columns: their reason and old → new values are the trail's.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import resilience.model

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hazard_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('supervising_unit', sa.String(length=200), nullable=True),
    sa.Column('accepted_by', sa.String(length=100), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'],
                            name=op.f('fk_hazard_acceptances_attachment_id_attachments')),
    sa.ForeignKeyConstraint(['event_id'], ['hazard_events.id'],
                            name=op.f('fk_hazard_acceptances_event_id_hazard_events')),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'],
                            name=op.f('fk_hazard_acceptances_hazard_id_hazards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_acceptances')),
    sa.UniqueConstraint('event_id', name=op.f('uq_hazard_acceptances_event_id')),
    )
    op.create_index(op.f('ix_hazard_acceptances_hazard_id'), 'hazard_acceptances', ['hazard_id'],
                    unique=False)
    op.create_index(op.f('ix_hazard_acceptances_division_code'), 'hazard_acceptances',
                    ['division_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_hazard_acceptances_division_code'), table_name='hazard_acceptances')
    op.drop_index(op.f('ix_hazard_acceptances_hazard_id'), table_name='hazard_acceptances')
    op.drop_table('hazard_acceptances')
