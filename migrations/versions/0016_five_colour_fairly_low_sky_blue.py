"""the five-colour 较低 is sky blue (#5CC8F5), told apart from the four-colour 低 blue

#1E90FF stood too close to the four-colour 低 #0070FF to tell apart on a map (DOMAIN.md
§10). Published rows carry their colour; they are repainted here so a map read before the
next run does not mix the two blues.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _repaint(old: str, new: str) -> None:
    op.execute(sa.text("UPDATE risk_five_colour SET colour = :new WHERE colour = :old")
               .bindparams(old=old, new=new))


def upgrade() -> None:
    _repaint('#1E90FF', '#5CC8F5')


def downgrade() -> None:
    _repaint('#5CC8F5', '#1E90FF')
