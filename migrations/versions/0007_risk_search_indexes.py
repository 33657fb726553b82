"""trigram indexes for searching hazard zones and risk points (PostgreSQL only)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:00:00.000000

The same expression as 0003's, built by resilience.text_search, now on the risk tables the
search box and the tables' text filter look in.
"""

from alembic import op

from resilience.model import Base
from resilience.dialects import create_search_indexes, drop_search_indexes
from resilience.text_search import RISK_INDEXED

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _tables() -> list:  # type: ignore[type-arg]
    import risk  # noqa: F401  (registers the risk tables)

    return [Base.metadata.tables[name] for name in RISK_INDEXED]


def upgrade() -> None:
    create_search_indexes(op.get_bind(), _tables())


def downgrade() -> None:
    drop_search_indexes(op.get_bind(), _tables())
