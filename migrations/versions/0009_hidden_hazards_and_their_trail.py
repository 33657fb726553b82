"""hidden hazards (隐患) and their append-only trail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:30:45.690287

The registry collection ``hazards`` (inventory/inspections/hazards.py: state changes only
through the closed loop; ``client_id`` unique so a retried phone submission is stored once)
and ``hazard_events``, one row per step of the loop.
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import resilience.model

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('hazards',
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('grade', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('asset_collection', sa.String(length=32), nullable=True),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('responsible_unit', sa.String(length=200), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('responsibility_person', sa.String(length=100), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('funding', sa.String(length=200), nullable=True),
    sa.Column('contingency_plan', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('supervised', sa.Boolean(), nullable=False),
    sa.Column('supervising_unit', sa.String(length=200), nullable=True),
    sa.Column('supervision_deadline', sa.Date(), nullable=True),
    sa.Column('found_by', sa.String(length=64), nullable=True),
    sa.Column('found_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('answer_ref', sa.String(length=64), nullable=True),
    sa.Column('client_id', sa.String(length=36), nullable=True),
    sa.Column('closed_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_failures', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('data_source', sa.String(length=200), nullable=True),
    sa.Column('survey_date', sa.Date(), nullable=True),
    sa.Column('remarks', sa.Text(), nullable=True),
    sa.Column('updated_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('retired_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.String(length=64), nullable=True),
    sa.Column('retired_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_hazards_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazards')),
    sa.UniqueConstraint('client_id', name=op.f('uq_hazards_client_id'))
    )
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_hazards_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index('ix_hazards_asset', ['asset_collection', 'asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_found_at'), ['found_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_grade'), ['grade'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazards_updated_at'), ['updated_at'], unique=False)

    op.create_table('hazard_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attachment_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_hazard_events_hazard_id_hazards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_events'))
    )
    with op.batch_alter_table('hazard_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hazard_events_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_events_hazard_id'), ['hazard_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hazard_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazard_events_hazard_id'))
        batch_op.drop_index(batch_op.f('ix_hazard_events_division_code'))

    op.drop_table('hazard_events')
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hazards_updated_at'))
        batch_op.drop_index(batch_op.f('ix_hazards_task_id'))
        batch_op.drop_index(batch_op.f('ix_hazards_state'))
        batch_op.drop_index(batch_op.f('ix_hazards_grade'))
        batch_op.drop_index(batch_op.f('ix_hazards_found_at'))
        batch_op.drop_index(batch_op.f('ix_hazards_external_id'))
        batch_op.drop_index(batch_op.f('ix_hazards_division_code'))
        batch_op.drop_index(batch_op.f('ix_hazards_deadline'))
        batch_op.drop_index(batch_op.f('ix_hazards_category'))
        batch_op.drop_index('ix_hazards_asset')
        batch_op.drop_geospatial_index('idx_hazards_geom', postgresql_using='gist', column_name='geom')

    op.drop_geospatial_table('hazards')
