"""In-app notifications (an overdue task escalated to its plan's owner) and their e-mail copies.

A notification is written once per (kind, subject): the unique key makes a second
escalation — a rerun, a second scheduler — a no-op. E-mail is sent afterwards, outside the
transaction that wrote the notification, and each row is claimed (``emailed_at`` set where it
was NULL) before its message goes out, so two schedulers never send the same one twice and a
failed send is retried on the next round. Addresses are kept per user name in
``notification_contacts`` (users carry none).
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import CursorResult, Index, Integer, String, UniqueConstraint, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from resilience.db import unit_of_work
from resilience.errors import InvalidInput, Problem
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json

KINDS = ("task_overdue", "hazard_overdue")
MAX_EMAILS_PER_ROUND = 200


_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

class Notification(Base):
    """A message for one user in the app; read when they open it."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "username", "occasion"),
                      Index("ix_notifications_user_unread", "username", "read_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)  # the task's (or hazard's) id
    # What about the subject is told: a hazard's due day ('' for a task, told once), so a
    # 延期 that passes in its turn is told again.
    occasion: Mapped[str] = mapped_column(String(16), nullable=False, default="",
                                          server_default="")
    division_code: Mapped[str | None] = mapped_column(String(12))
    params: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationContact(Base):
    """Where a user's notifications are e-mailed (optional)."""

    __tablename__ = "notification_contacts"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(200), nullable=False)


@dataclass(frozen=True)
class Smtp:
    """An SMTP server to send through (from settings; None when there is none)."""

    host: str
    port: int = 25
    sender: str = "resilience@localhost"
    timeout: float = 10.0


MESSAGES: dict[str, tuple[str, str]] = {
    "task_overdue": ("巡检任务逾期：{asset}（应于 {closes_on} 前完成）",
                     "Inspection task overdue: {asset} (was due by {closes_on})"),
    "hazard_overdue": ("隐患整改逾期：{hazard}（期限 {deadline}）",
                       "Hidden hazard past its deadline: {hazard} (deadline {deadline})"),
}


def text_of(row: Notification, locale: str = "zh") -> str:
    """The notification's sentence in a locale."""
    zh, en = MESSAGES.get(row.kind, (row.kind, row.kind))
    template = zh if locale.lower().startswith("zh") else en
    try:
        return template.format(**row.params)
    except (KeyError, IndexError):
        return template


def unread(session: Session, username: str, limit: int = 50) -> list[Notification]:
    """A user's unread notifications, newest first."""
    return list(session.scalars(
        select(Notification).where(Notification.username == username,
                                   Notification.read_at.is_(None))
        .order_by(Notification.id.desc()).limit(limit)))


def recent(session: Session, username: str, limit: int = 100) -> list[Notification]:
    """A user's notifications, unread first, then newest first (the notifications page)."""
    return list(session.scalars(
        select(Notification).where(Notification.username == username)
        .order_by(Notification.read_at.is_not(None), Notification.id.desc()).limit(limit)))


def unread_count(session: Session, username: str) -> int:
    """How many notifications a user has not read (the menu's badge; one index lookup)."""
    return int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.username == username, Notification.read_at.is_(None))) or 0)


def set_contact(session: Session, username: str, email: str) -> NotificationContact:
    """Where a user's notifications are e-mailed; a bad address is refused, by field."""
    address = email.strip()
    if not _ADDRESS.fullmatch(address) or len(address) > 200:
        raise InvalidInput("bad e-mail address", [Problem("email", "not_an_email",
                                                          {"value": address[:80]})])
    contact = session.get(NotificationContact, username)
    if contact is None:
        contact = NotificationContact(username=username, email=address)
        session.add(contact)
    else:
        contact.email = address
    session.flush()
    return contact


def mark_read(session: Session, username: str, ids: list[int]) -> int:
    """Mark a user's notifications read; returns how many changed."""
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed wider.
    result = cast(CursorResult[Any], session.execute(
        update(Notification)
        .where(Notification.username == username, Notification.id.in_(ids),
               Notification.read_at.is_(None))
        .values(read_at=now())))
    return int(result.rowcount or 0)


def send_emails(sessions: sessionmaker[Session], smtp: Smtp | None, *, base_url: str = "") -> int:
    """E-mail unsent notifications to users with an address; each claimed before it is sent.

    Takes a session factory, not a session: every claim is its own short transaction, so the
    claim holds before the message leaves and a failed send is released for the next round.
    """
    if smtp is None:
        return 0
    with unit_of_work(sessions) as session:
        rows = session.execute(
            select(Notification.id, NotificationContact.email)
            .join(NotificationContact, NotificationContact.username == Notification.username)
            .where(Notification.emailed_at.is_(None)).order_by(Notification.id)
            .limit(MAX_EMAILS_PER_ROUND)).all()
    sent = 0
    for note_id, address in rows:
        with unit_of_work(sessions) as session:
            claimed = cast(CursorResult[Any], session.execute(
                update(Notification)
                .where(Notification.id == note_id, Notification.emailed_at.is_(None))
                .values(emailed_at=now())))
            row = session.get(Notification, note_id)
            if not claimed.rowcount or row is None:
                continue  # another scheduler took it
            subject, body = text_of(row, "zh"), f"{text_of(row, 'zh')}\n{text_of(row, 'en')}"
        message = EmailMessage()
        message["From"] = smtp.sender
        message["To"] = address
        message["Subject"] = subject
        message.set_content(f"{body}\n{base_url}".strip())
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
                client.send_message(message)
        except (OSError, smtplib.SMTPException):
            with unit_of_work(sessions) as session:
                session.execute(update(Notification).where(Notification.id == note_id)
                                .values(emailed_at=None))
            continue
        sent += 1
    return sent
