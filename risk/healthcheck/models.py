"""The stored checks: one row per (division, year), its values one row per indicator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json

STATUSES = ("draft", "final")


class HealthCheck(Base):
    """One division's check for one year; ``final`` freezes it."""

    __tablename__ = "health_checks"
    __table_args__ = (UniqueConstraint("division_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"),
                                               nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    values: Mapped[list[HealthValue]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="HealthValue.id")

    def value_of(self, code: str) -> HealthValue | None:
        """The stored value of an indicator."""
        return next((v for v in self.values if v.code == code), None)


class HealthValue(Base):
    """One indicator's value in a check, where it came from, and whether it meets its target."""

    __tablename__ = "health_values"
    __table_args__ = (UniqueConstraint("check_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("health_checks.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    version_year: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    entered_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(Json)
    target_met: Mapped[bool | None] = mapped_column(Boolean)

