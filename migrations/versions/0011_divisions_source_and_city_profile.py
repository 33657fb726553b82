"""divisions: where each boundary came from; the city profile (built-up area, population by year)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import resilience.model

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('divisions', sa.Column('boundary_source', sa.String(length=200), nullable=True))
    op.add_column('divisions', sa.Column('updated_at', resilience.model.UTCDateTime(timezone=True),
                                         nullable=True))
    op.create_table('division_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('built_up_area_km2', sa.Float(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('built_up_population', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'],
                            name=op.f('fk_division_profiles_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_division_profiles')),
    sa.UniqueConstraint('division_code', 'year', name=op.f('uq_division_profiles_division_code_year')),
    )
    op.create_index(op.f('ix_division_profiles_division_code'), 'division_profiles',
                    ['division_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_division_profiles_division_code'), table_name='division_profiles')
    op.drop_table('division_profiles')
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy of the table would trip
    # over the foreign keys every asset table holds to it.
    op.execute('ALTER TABLE divisions DROP COLUMN updated_at')
    op.execute('ALTER TABLE divisions DROP COLUMN boundary_source')
