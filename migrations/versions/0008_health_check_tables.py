"""health check (城市体检): indicator catalogue by year, checks per division and year, values

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:29:44.181125
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import resilience.model

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('health_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('version_year', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('aspect_zh', sa.String(length=40), nullable=False),
    sa.Column('aspect_en', sa.String(length=60), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('unit', sa.String(length=24), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=True),
    sa.Column('target_op', sa.String(length=2), nullable=True),
    sa.Column('target_value', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('formula_zh', sa.Text(), nullable=False),
    sa.Column('formula_en', sa.Text(), nullable=False),
    sa.Column('problem_zh', sa.Text(), nullable=True),
    sa.Column('problem_en', sa.Text(), nullable=True),
    sa.Column('inferred', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_indicators')),
    sa.UniqueConstraint('code', 'version_year', name=op.f('uq_health_indicators_code_version_year'))
    )
    with op.batch_alter_table('health_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_health_indicators_version_year'), ['version_year'], unique=False)

    op.create_table('health_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('computed_at', resilience.model.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_health_checks_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_checks')),
    sa.UniqueConstraint('division_code', 'year', name=op.f('uq_health_checks_division_code_year'))
    )
    with op.batch_alter_table('health_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_health_checks_division_code'), ['division_code'], unique=False)

    op.create_table('health_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('version_year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('target_met', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['check_id'], ['health_checks.id'], name=op.f('fk_health_values_check_id_health_checks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_values')),
    sa.UniqueConstraint('check_id', 'code', name=op.f('uq_health_values_check_id_code'))
    )
    with op.batch_alter_table('health_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_health_values_check_id'), ['check_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('health_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_health_values_check_id'))

    op.drop_table('health_values')
    with op.batch_alter_table('health_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_health_checks_division_code'))

    op.drop_table('health_checks')
    with op.batch_alter_table('health_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_health_indicators_version_year'))

    op.drop_table('health_indicators')
