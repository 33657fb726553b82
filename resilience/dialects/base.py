"""What a database backend must do that SQL spelling alone cannot hide."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Engine, Table
from sqlalchemy.orm import Session


class Backend(ABC):
    """One database's way of doing the registry's bulk, tile, index and connection work."""

    name: str

    @abstractmethod
    def make_engine(self, url: str, **kwargs: Any) -> Engine:
        """An engine ready for spatial SQL (extensions loaded, pragmas or pool set)."""

    @abstractmethod
    def prepare_database(self, conn: Connection) -> None:
        """Make a new database spatial."""

    @abstractmethod
    def insert_many(self, bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                    geom_column: str | None) -> None:
        """Insert many rows in the fastest way the driver offers."""

    @abstractmethod
    def reserve_ids(self, bind: Session | Connection, table: Table, count: int) -> list[int]:
        """New primary keys for a batch."""

    @abstractmethod
    def insert_ignoring(self, table: Table) -> Any:
        """``INSERT … ON CONFLICT DO NOTHING`` in this dialect."""

    @abstractmethod
    def insert_rows_ignoring(self, connection: Connection, table: Table,
                             rows: list[dict[str, Any]]) -> int:
        """Insert one chunk of rows, skipping existing keys; how many were new."""

    def create_search_indexes(self, conn: Connection, tables: list[Table]) -> None:  # noqa: B027
        """Indexes for free-text search, where the database has a kind that helps (none by
        default: a scan answers)."""

    def drop_search_indexes(self, conn: Connection, tables: list[Table]) -> None:  # noqa: B027
        """Undo :meth:`create_search_indexes`."""

    @abstractmethod
    def mvt(self, session: Session, *, layer: str, table: Table, geom: Column[Any],
            key: Column[Any] | None, properties: list[Column[Any]],
            conditions: list[ColumnElement[bool]], order_by: list[Any],
            z: int, x: int, y: int) -> bytes:
        """One layer of a Mapbox vector tile."""
