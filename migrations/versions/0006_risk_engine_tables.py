"""risk engine tables: schemes, hazard zones, risk points, runs, published results, diffs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:45:07.357733
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import resilience.model

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('map', sa.String(length=8), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('before_level', sa.String(length=16), nullable=True),
    sa.Column('after_level', sa.String(length=16), nullable=True),
    sa.Column('before_score', sa.Float(), nullable=True),
    sa.Column('after_score', sa.Float(), nullable=True),
    sa.Column('reason', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_changes'))
    )
    with op.batch_alter_table('risk_changes', schema=None) as batch_op:
        batch_op.create_index('ix_risk_changes_run_map', ['run_id', 'map'], unique=False)

    op.create_geospatial_table('risk_five_colour',
    sa.Column('hazard', sa.Float(), nullable=True),
    sa.Column('exposure', sa.Float(), nullable=True),
    sa.Column('vulnerability', sa.Float(), nullable=True),
    sa.Column('capacity', sa.Float(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('geom', Geometry(srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('measure', sa.Float(), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=40), nullable=False),
    sa.Column('scheme_version', sa.Integer(), nullable=False),
    sa.Column('computed_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_five_colour')),
    sa.UniqueConstraint('unit', 'ref', name=op.f('uq_risk_five_colour_unit_ref'))
    )
    with op.batch_alter_table('risk_five_colour', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_risk_five_colour_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_risk_five_colour_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_five_colour_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_five_colour_run_id'), ['run_id'], unique=False)

    op.create_geospatial_table('risk_four_colour',
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('geom', Geometry(srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('measure', sa.Float(), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('scheme', sa.String(length=40), nullable=False),
    sa.Column('scheme_version', sa.Integer(), nullable=False),
    sa.Column('computed_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_four_colour')),
    sa.UniqueConstraint('unit', 'ref', name=op.f('uq_risk_four_colour_unit_ref'))
    )
    with op.batch_alter_table('risk_four_colour', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_risk_four_colour_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_risk_four_colour_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_four_colour_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_four_colour_run_id'), ['run_id'], unique=False)

    op.create_table('risk_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('scheme_name', sa.String(length=40), nullable=False),
    sa.Column('scheme_version', sa.Integer(), nullable=False),
    sa.Column('cell_size_m', sa.Float(), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=True),
    sa.Column('requested_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('inputs_as_of', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_runs')),
    sa.UniqueConstraint('active', name=op.f('uq_risk_runs_active'))
    )
    op.create_table('risk_schemes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('map', sa.String(length=8), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_schemes')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_risk_schemes_name_version'))
    )
    op.create_geospatial_table('hazard_zones',
    sa.Column('geom', Geometry(srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('hazard_class', sa.SmallInteger(), nullable=False),
    sa.Column('return_period_years', sa.SmallInteger(), nullable=True),
    sa.Column('intensity', sa.Float(), nullable=True),
    sa.Column('intensity_unit', sa.String(length=32), nullable=True),
    sa.Column('issuing_unit', sa.String(length=200), nullable=True),
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
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_hazard_zones_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hazard_zones'))
    )
    with op.batch_alter_table('hazard_zones', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_hazard_zones_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_hazard_zones_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_zones_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_zones_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_hazard_zones_updated_at'), ['updated_at'], unique=False)

    op.create_geospatial_table('risk_points',
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('preset', sa.String(length=40), nullable=False),
    sa.Column('factor_l', sa.Float(), nullable=False),
    sa.Column('factor_e', sa.Float(), nullable=True),
    sa.Column('factor_c', sa.Float(), nullable=True),
    sa.Column('factor_s', sa.Float(), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('band_name', sa.String(length=32), nullable=True),
    sa.Column('scheme_version', sa.Integer(), nullable=False),
    sa.Column('responsible_unit', sa.String(length=200), nullable=True),
    sa.Column('control_measures', sa.Text(), nullable=True),
    sa.Column('assessed_at', sa.Date(), nullable=True),
    sa.Column('next_review_at', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=True),
    sa.Column('asset_collection', sa.String(length=32), nullable=True),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('tunnel_id', sa.Integer(), nullable=True),
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
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_risk_points_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_points'))
    )
    with op.batch_alter_table('risk_points', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_risk_points_geom', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_risk_points_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_tunnel_id'), ['tunnel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_points_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    for table in ('risk_points', 'hazard_zones', 'risk_four_colour', 'risk_five_colour'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_geospatial_index(f'idx_{table}_geom', postgresql_using='gist',
                                           column_name='geom')
        op.drop_geospatial_table(table)
    for table in ('risk_schemes', 'risk_runs', 'risk_changes'):
        op.drop_table(table)
