"""existing admins are granted the registry's root division

Division grants now bind every role, admin included (issue 15): an admin granted 上城区
manages 上城区 only, and a city-wide admin is one granted the root. Before this revision
the admin role saw everything whatever it was granted, so each existing admin is granted
every root division (no parent) it does not hold yet: nothing changes for them. The
downgrade cannot tell these grants from ones made on purpose later, so it keeps them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 21:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "INSERT INTO user_divisions (user_id, division_code) "
        "SELECT u.id, d.code FROM users u, divisions d "
        "WHERE u.role = 'admin' AND d.parent_code IS NULL AND NOT EXISTS ("
        "  SELECT 1 FROM user_divisions g WHERE g.user_id = u.id AND g.division_code = d.code)"))


def downgrade() -> None:
    pass  # grants made here and grants made since look alike; keeping them narrows nothing
