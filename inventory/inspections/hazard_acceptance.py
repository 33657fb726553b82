"""The 督办 unit's acceptance (核查验收) of a supervised hazard's rectification, kept by 销号.

16号令 and DOMAIN.md §10: a 挂牌督办 重大隐患 is closed only when its rectification has been
assessed and accepted by someone other than who submitted it, with the supervising unit's
opinion on record. The 销号 step (:func:`hazard_steps.transition`) writes one row here beside
its trail row: who accepted it for the 督办 unit, when, their opinion and the signed document
(one of the hazard's attachments).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from inventory.assets import F
from resilience.model import Base, UTCDateTime, now


class HazardAcceptance(Base):
    """The 督办 unit's acceptance of a rectification (核查验收), recorded by the 销号 step.

    Who accepted it for the supervising unit, when, their opinion and the signed document
    (one of the hazard's attachments); append-only, beside the trail row it belongs to.
    """

    __tablename__ = "hazard_acceptances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), nullable=False, index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("hazard_events.id"), nullable=False,
                                          unique=True)
    division_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    supervising_unit: Mapped[str | None] = mapped_column(String(200))
    accepted_by: Mapped[str] = mapped_column(String(100), nullable=False)
    accepted_on: Mapped[date] = mapped_column(Date, nullable=False)
    opinion: Mapped[str] = mapped_column(Text, nullable=False)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


# The acceptance's fields as a 销号 request names them (coerced like the hazard's own).
ACCEPTANCE_FIELDS = {f.name: f for f in (
    F("acceptance_by", "str", "验收人（督办单位）", "Accepted by (for the supervising unit)",
      max_length=100),
    F("acceptance_on", "date", "验收日期", "Accepted on"),
    F("acceptance_opinion", "text", "验收意见", "Acceptance opinion", max_length=4000),
    F("acceptance_attachment", "int", "验收文件", "Acceptance document", min=1),
)}


def of_hazard(session: Session, hazard_id: int) -> list[HazardAcceptance]:
    """A hazard's acceptance records, oldest first (one per 销号; a hazard is closed once)."""
    return list(session.scalars(select(HazardAcceptance).where(
        HazardAcceptance.hazard_id == hazard_id).order_by(HazardAcceptance.id)))
