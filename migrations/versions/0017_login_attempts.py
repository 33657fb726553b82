"""login attempts: failed password sign-ins, counted to throttle an account and an address

Kept in the database rather than in a worker's memory, so every gunicorn worker refuses a
locked account alike; a success or an admin's unlock deletes them (resilience.logins).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import resilience.model

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', resilience.model.UTCDateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
    )
    for column in ('at', 'username', 'address'):
        op.create_index(op.f(f'ix_login_attempts_{column}'), 'login_attempts', [column],
                        unique=False)


def downgrade() -> None:
    for column in ('address', 'username', 'at'):
        op.drop_index(op.f(f'ix_login_attempts_{column}'), table_name='login_attempts')
    op.drop_table('login_attempts')
