"""The audit trail: who changed which record, when, and its values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from resilience import jobs as _jobs  # noqa: F401  (audit_log.job_id references jobs)
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json


class AuditEntry(Base):
    """One change to one record; append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "collection", "record_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, index=True)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # create/update/retire/restore
    collection: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)
    reason: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)


def changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """The keys whose values differ, as {key: [before, after]} (for readable diffs)."""
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    collection: str,
    record_id: int,
    division_code: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None = None,
    job_id: int | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction."""
    entry = AuditEntry(
        actor=actor, action=action, collection=collection, record_id=record_id,
        division_code=division_code, before=before, after=after, reason=reason, job_id=job_id,
    )
    session.add(entry)
    return entry


def history(session: Session, collection: str, record_id: int) -> list[AuditEntry]:
    """Every audit entry of a record, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.collection == collection, AuditEntry.record_id == record_id)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(stmt))


def entries_of_job(session: Session, job_id: int) -> list[AuditEntry]:
    """Every audit entry a job (an import) caused, in order."""
    stmt = select(AuditEntry).where(AuditEntry.job_id == job_id).order_by(AuditEntry.id)
    return list(session.scalars(stmt))
