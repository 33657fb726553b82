"""trigram indexes for the search box and the tables' text filter (PostgreSQL only)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000

The index expression is built by resilience.text_search, the same function the queries
use, so the planner matches them; on SQLite there is nothing to create (LIKE scans).
"""

from alembic import op

from resilience.model import Base
from resilience.dialects import create_search_indexes, drop_search_indexes
from resilience.text_search import INDEXED

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _tables() -> list:  # type: ignore[type-arg]
    import inventory  # noqa: F401  (registers the asset tables)

    return [Base.metadata.tables[name] for name in INDEXED]


def upgrade() -> None:
    create_search_indexes(op.get_bind(), _tables())


def downgrade() -> None:
    drop_search_indexes(op.get_bind(), _tables())
