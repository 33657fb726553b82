"""an overdue hazard is escalated again when its due day moves (延期) and passes again

A notification was unique per (kind, subject, person): once a hazard had been escalated,
a 延期 that passed in its turn told nobody. The key gains ``occasion`` — the due day a
hazard escalation is about ('' for task notifications, which are told once) — so each
missed due day is told once, and a rerun or a second scheduler still adds nothing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occasion', sa.String(length=16), nullable=False,
                                      server_default=''))
        batch_op.drop_constraint('uq_notifications_kind_subject_id_username', type_='unique')
        batch_op.create_unique_constraint(
            'uq_notifications_kind_subject_id_username_occasion',
            ['kind', 'subject_id', 'username', 'occasion'])


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('uq_notifications_kind_subject_id_username_occasion',
                                 type_='unique')
        batch_op.execute("DELETE FROM notifications WHERE id NOT IN (SELECT min(id) FROM "
                         "notifications GROUP BY kind, subject_id, username)")
        batch_op.create_unique_constraint('uq_notifications_kind_subject_id_username',
                                          ['kind', 'subject_id', 'username'])
        batch_op.drop_column('occasion')
