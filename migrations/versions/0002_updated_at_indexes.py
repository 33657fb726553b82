"""index updated_at of the asset tables (the vector tiles' ETag reads its maximum)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:30:00.000000

Plain CREATE INDEX on both databases: no batch mode, so SQLite never rebuilds a table
(which would drop SpatiaLite's geometry triggers).
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLES = ('pipelines', 'network_points', 'tunnels', 'shelters', 'flood_points')


def upgrade() -> None:
    for table in TABLES:
        op.create_index(op.f(f'ix_{table}_updated_at'), table, ['updated_at'], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(op.f(f'ix_{table}_updated_at'), table_name=table)
