"""Hidden hazards (隐患): the registry collection ``hazards``, its trail table and their reads.

A hazard is filed by hand or by a defect answer, then moved through the closed loop of
:mod:`hazard_flow`; both are done in :mod:`hazard_steps` (``report``, ``transition``), the
only writer of ``state``, and late hazards are escalated by :mod:`hazard_escalation`. Each
step leaves an append-only ``hazard_events`` row. Importing this module registers the
collection (``inventory/__init__.py`` does). Open hazards are read by risk (they raise what
they touch until 销号), by the phone's status page and by the health check: keep the column
names.

Integrity (DOMAIN.md §10): ``grade``, ``deadline``, ``state`` and the 督办 fields are the
loop's to set — read-only to edits, and a write outside :func:`stepping` that changes them is
refused at flush (:func:`_guarded`); a closed hazard is frozen; any other edit goes in the
trail. Being overdue is one definition (:func:`due_on`, :func:`overdue_condition`), past the
earlier of the deadline and the 督办 deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, cast

from geoalchemy2 import WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from inventory import attachments
from inventory.assets import COMMON_HEAD, COMMON_TAIL, AssetColumns, CollectionSpec, F, register
from inventory.formats.shortnames import SHORT
from inventory.inspections import hazard_flow as flow
from inventory.inspections.hazard_acceptance import HazardAcceptance  # noqa: F401 (its table)
from resilience.accounts import Principal
from resilience.codes import Code as C
from resilience.codes import CodeList
from resilience.divisions import division_prefix, within
from resilience.errors import Conflict, NotFound, Problem
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json, geometry

HAZARD_GRADES = CodeList("grade", [
    C("general", "一般隐患", "General", also=("一般", "一般事故隐患")),
    C("major", "重大隐患", "Major", also=("重大", "重大事故隐患")),
])
HAZARD_CATEGORIES = CodeList("category", [
    C("road_collapse", "道路塌陷", "Road collapse", also=("塌陷",)),
    C("leakage", "管线渗漏", "Pipeline leakage", also=("渗漏", "泄漏")),
    C("corrosion", "腐蚀", "Corrosion"),
    C("cover_damaged", "井盖缺失破损", "Manhole cover missing or broken", also=("井盖",)),
    C("waterlogging", "积水", "Waterlogging", also=("内涝",)),
    C("occupation", "占压", "Built over (occupation)"),
    C("third_party_damage", "第三方施工破坏", "Third-party construction damage",
      also=("第三方破坏",)),
    C("equipment_fault", "设施故障", "Equipment fault"),
    C("other", "其他", "Other"),
])
HAZARD_STATES = CodeList("state", [C(s, *flow.STATE_LABELS[s]) for s in flow.STATES])
# The assets a hazard may touch (the registry's asset collections).
HAZARD_ASSETS = CodeList("asset_collection", [
    C("pipelines", "管线", "Pipelines"), C("network-points", "管线点", "Network points"),
    C("tunnels", "综合管廊", "Utility tunnels"), C("shelters", "避难场所", "Shelters"),
    C("flood-points", "易涝点", "Flood points"),
])
EDITING_ROLES = flow.REPORTERS  # an inspector files them; handlers and reviewers too
# Fixed dBase (shapefile) column names of the fields longer than ten characters.
SHORT.update({
    "description": "descr", "responsibility_person": "resp_pers", "contingency_plan": "conting",
    "supervising_unit": "superv_u", "supervision_deadline": "superv_dl",
    "review_failures": "rev_fails",
})


class Hazard(AssetColumns, Base):
    """One hidden hazard: what, where, what it touches, who fixes it by when, and its state."""

    __tablename__ = "hazards"
    __table_args__ = (Index("ix_hazards_asset", "asset_collection", "asset_id"),)

    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)
    grade: Mapped[str] = mapped_column(String(16), nullable=False, default="general", index=True)
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    asset_collection: Mapped[str | None] = mapped_column(String(32))
    asset_id: Mapped[int | None] = mapped_column(Integer)
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    responsibility_person: Mapped[str | None] = mapped_column(String(100))
    measures: Mapped[str | None] = mapped_column(Text)
    funding: Mapped[str | None] = mapped_column(String(200))
    contingency_plan: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=flow.REPORTED,
                                       index=True)
    supervised: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    supervising_unit: Mapped[str | None] = mapped_column(String(200))
    supervision_deadline: Mapped[date | None] = mapped_column(Date)
    found_by: Mapped[str | None] = mapped_column(String(64))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now,
                                               index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    answer_ref: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    @property
    def due(self) -> date | None:
        """The day it is due: the earlier of its deadline and the 督办 deadline."""
        return due_on(self.deadline, self.supervision_deadline)

    def is_overdue(self, today: date) -> bool:
        """Derived, not a state (DOMAIN.md §4, §10): past :attr:`due` and not closed."""
        due = self.due
        return due is not None and due < today and self.state != flow.CLOSED


def due_on(deadline: date | None, supervision_deadline: date | None) -> date | None:
    """When a hazard is due: the earlier of the rectification and the 督办 deadline (§10).

    The one definition of overdue: listings, ``?overdue=true``, escalation and the health
    check's 按期整改销号率 all compare against this day (SQL: :func:`overdue_condition`).
    """
    days = [d for d in (deadline, supervision_deadline) if d is not None]
    return min(days) if days else None


def overdue_condition(today: date) -> ColumnElement[bool]:
    """:func:`due_on` in SQL: not closed, and ``today`` past either deadline."""
    return and_(Hazard.state != flow.CLOSED,
                or_(Hazard.deadline < today, Hazard.supervision_deadline < today))


class HazardEvent(Base):
    """One step of a hazard's loop; append-only (the 销号 record keeps the whole path)."""

    __tablename__ = "hazard_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), nullable=False, index=True)
    division_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16), nullable=False)
    by: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    attachment_ids: Mapped[list[int] | None] = mapped_column(Json)
    changes: Mapped[dict[str, Any] | None] = mapped_column(Json)


@event.listens_for(Hazard, "after_insert")
def _reported(mapper: Any, connection: Any, target: Hazard) -> None:
    """Every way in (API, form, import, defect answer) starts the trail with 发现."""
    connection.execute(insert(cast(Table, HazardEvent.__table__)).values(
        hazard_id=target.id, division_code=target.division_code, action="report",
        from_state=None, to_state=target.state or flow.REPORTED,
        by=target.created_by or "system", at=target.created_at or now()))


@event.listens_for(Hazard, "before_insert")
def _found_by(mapper: Any, connection: Any, target: Hazard) -> None:
    """Who found it is who filed it, unless the caller said otherwise."""
    if target.found_by is None:
        target.found_by = target.created_by


# The loop's own fields and the step that sets each: no other write may change them.
BY_STEP = {"grade": "regrade", "deadline": "extend", "state": "transitions",
           "supervised": "supervise", "supervising_unit": "supervise",
           "supervision_deadline": "supervise", "closed_at": "close",
           "review_failures": "fail_review"}
_STEPPING: ContextVar[frozenset[int]] = ContextVar("hazard_stepping", default=frozenset())
_UNTRAILED = ("version", "updated_at", "updated_by")


@contextmanager
def stepping(hazard_id: int) -> Iterator[None]:
    """While a step of the loop writes this hazard, its own fields may change."""
    token = _STEPPING.set(_STEPPING.get() | {hazard_id})
    try:
        yield
    finally:
        _STEPPING.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, WKBElement):
        return list(to_shape(value).coords[0])
    return value


@event.listens_for(Hazard, "before_update")
def _guarded(mapper: Any, connection: Any, target: Hazard) -> None:
    """Every write, by whatever path: a closed hazard is frozen; the loop's fields change only
    by its steps; any other change is put in the hazard's own trail (修改信息 / 作废 / 恢复)."""
    state = inspect(target)
    was = state.attrs.state.history.deleted
    if (was[0] if was else target.state) == flow.CLOSED:
        raise Conflict("closed", [Problem("state", "hazard_closed", {"value": target.id})])
    changes: dict[str, list[Any]] = {}
    for attr in mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.has_changes() and attr.key not in _UNTRAILED:
            changes[attr.key] = [_plain(hist.deleted[0] if hist.deleted else None),
                                 _plain(hist.added[0] if hist.added else None)]
    if target.id in _STEPPING.get() or not changes:
        return
    refused = [Problem(k, "field_by_step", {"step": BY_STEP[k], "current": changes[k][0],
                                            "value": changes[k][1]})
               for k in changes if k in BY_STEP]
    if refused:
        raise Conflict("changed by a step only", refused)
    action = "edit"
    if "retired_at" in changes:
        action = "restore" if target.retired_at is None else "retire"
    connection.execute(insert(cast(Table, HazardEvent.__table__)).values(
        hazard_id=target.id, division_code=target.division_code, action=action,
        from_state=target.state, to_state=target.state, by=target.updated_by or "system",
        at=now(), reason=target.retired_reason if action == "retire" else None,
        changes=changes))


@event.listens_for(attachments.Attachment, "before_insert")
def _no_photos_once_closed(mapper: Any, connection: Any, target: attachments.Attachment) -> None:
    """Nothing is added to a closed hazard, by whatever path (the asset page's upload too)."""
    if target.collection == "hazards" and connection.scalar(
            select(Hazard.state).where(Hazard.id == target.record_id)) == flow.CLOSED:
        raise Conflict("closed", [Problem("state", "hazard_closed", {"value": target.record_id})])


def _asset_check(values: dict[str, Any]) -> list[Problem]:
    """An asset is named by both its collection and its id, or not at all."""
    has_c, has_i = values.get("asset_collection") is not None, values.get("asset_id") is not None
    if has_c and not has_i:
        return [Problem("asset_id", "required_when", {"other": "asset_collection",
                                                      "value": values["asset_collection"]})]
    if has_i and not has_c:
        return [Problem("asset_collection", "required", {})]
    return []


HAZARDS = register(CollectionSpec(
    name="hazards", rank=90, zh="隐患", en="Hidden hazards", model=Hazard, geometry_types=("Point",),
    fields=(
        *COMMON_HEAD,
        F("category", "code", "隐患类别", "Category", required=True, codes=HAZARD_CATEGORIES),
        # Set when filed and by 评估定级 / 重新定级 / 延期 only (read-only to edits).
        F("grade", "code", "隐患等级", "Grade", codes=HAZARD_GRADES, default="general",
          readonly=True),
        F("description", "text", "隐患描述", "Description", required=True, max_length=4000,
          filterable=False),
        F("state", "code", "状态", "State", readonly=True, codes=HAZARD_STATES),
        F("asset_collection", "code", "关联设施类型", "Asset collection", codes=HAZARD_ASSETS),
        F("asset_id", "int", "关联设施编号", "Asset id", min=1),
        F("responsible_unit", "str", "责任单位", "Responsible unit"),
        F("deadline", "date", "整改时限", "Deadline", future=True, readonly=True),
        F("responsibility_person", "str", "责任人", "Person responsible", max_length=100),
        F("measures", "text", "整改措施", "Measures", max_length=4000, filterable=False),
        F("funding", "str", "整改资金", "Funding"),
        F("contingency_plan", "text", "应急预案", "Contingency plan", max_length=4000,
          filterable=False),
        F("supervised", "bool", "挂牌督办", "Supervised (挂牌督办)", readonly=True),
        F("supervising_unit", "str", "督办单位", "Supervising unit", readonly=True),
        F("supervision_deadline", "date", "督办期限", "Supervision deadline", readonly=True,
          future=True),
        F("found_by", "str", "发现人", "Found by", readonly=True, max_length=64),
        F("found_at", "str", "发现时间", "Found at", readonly=True, filterable=False),
        F("task_id", "int", "巡检任务", "Inspection task", readonly=True),
        F("answer_ref", "str", "检查项", "Checklist answer", readonly=True, max_length=64),
        F("client_id", "str", "客户端编号", "Client id", readonly=True, max_length=36),
        F("closed_at", "str", "销号时间", "Closed at", readonly=True, filterable=False),
        F("review_failures", "int", "复查未通过次数", "Failed reviews", readonly=True),
        *(f for f in COMMON_TAIL if f.name != "survey_date"),
    ),
    cross_checks=(_asset_check,),
    editing_roles=EDITING_ROLES,
    importable=False,
    temporal="found_at",
))


# -- reading -----------------------------------------------------------------------------

def get(session: Session, hazard_id: int, by: Principal) -> Hazard:
    """A hazard the user may see, or NotFound / Forbidden."""
    hazard = session.get(Hazard, hazard_id)
    if hazard is None or hazard.retired_at is not None:
        raise NotFound("no such hazard", [Problem("id", "not_found", {"value": hazard_id})])
    by.require_read(hazard.division_code)
    return hazard


def by_client_id(session: Session, client_id: str) -> Hazard | None:
    """The hazard a phone already stored under this id."""
    return session.scalars(select(Hazard).where(Hazard.client_id == client_id)).first()


def find(session: Session, by: Principal, *, state: str | None = None, grade: str | None = None,
         open_only: bool = False, overdue_on: date | None = None, division: str | None = None,
         asset: tuple[str, int] | None = None, limit: int = 200, offset: int = 0
         ) -> list[Hazard]:
    """Hazards the user sees, newest first; ``overdue_on`` keeps those overdue on that day."""
    stmt = select(Hazard).where(Hazard.retired_at.is_(None))
    if not by.everywhere:
        stmt = stmt.where(within(Hazard.division_code, by.prefixes))
    if division:
        stmt = stmt.where(within(Hazard.division_code, (division_prefix(division),)))
    if state:
        stmt = stmt.where(Hazard.state == state)
    if grade:
        stmt = stmt.where(Hazard.grade == grade)
    if open_only:
        stmt = stmt.where(Hazard.state != flow.CLOSED)
    if overdue_on is not None:
        stmt = stmt.where(overdue_condition(overdue_on))
    if asset is not None:
        stmt = stmt.where(Hazard.asset_collection == asset[0], Hazard.asset_id == asset[1])
    return list(session.scalars(stmt.order_by(Hazard.id.desc()).limit(limit).offset(offset)))


def overdue(session: Session, today: date, by: Principal | None = None) -> list[Hazard]:
    """Open hazards past their due day, most overdue first (to flag and escalate)."""
    stmt = select(Hazard).where(Hazard.retired_at.is_(None), overdue_condition(today))
    if by is not None and not by.everywhere:
        stmt = stmt.where(within(Hazard.division_code, by.prefixes))
    return sorted(session.scalars(stmt), key=lambda h: (h.due or today, h.id))


def trail(session: Session, hazard_id: int) -> list[HazardEvent]:
    """A hazard's steps, oldest first."""
    return list(session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id)
                                .order_by(HazardEvent.id)))


def photos(session: Session, hazard_id: int) -> list[attachments.Attachment]:
    """The hazard's attachments (notes ``before`` / ``after`` say which side of the fix)."""
    return attachments.of_record(session, HAZARDS.name, hazard_id)


def counts(session: Session, by: Principal, today: date) -> dict[str, int]:
    """Open, overdue, major-open and supervised hazards the user sees (the list's header)."""
    base = [Hazard.retired_at.is_(None), Hazard.state != flow.CLOSED]
    if not by.everywhere:
        base.append(within(Hazard.division_code, by.prefixes))
    one = session.execute(select(
        func.count(),
        func.count(Hazard.id).filter(overdue_condition(today)),
        func.count(Hazard.id).filter(Hazard.grade == "major"),
        func.count(Hazard.id).filter(Hazard.supervised.is_(True)),
    ).where(*base)).one()
    return {"open": one[0], "overdue": one[1], "major": one[2], "supervised": one[3]}


def submitted_by(session: Session, hazard_id: int) -> str | None:
    """Who last submitted the hazard's rectification for review (提请复查)."""
    return session.scalar(select(HazardEvent.by).where(
        HazardEvent.hazard_id == hazard_id, HazardEvent.action == "submit_review")
        .order_by(HazardEvent.id.desc()).limit(1))


def facts_of(session: Session, hazard: Hazard) -> flow.Facts:
    """What the loop's guards and buttons look at, as stored (the four-eyes rule included)."""
    who = submitted_by(session, hazard.id) if hazard.supervised \
        and hazard.state == flow.PENDING_REVIEW else None
    return flow.Facts(hazard.state, hazard.grade, supervised=hazard.supervised,
                      deadline=hazard.deadline, submitted_by=who)


def unverified(session: Session, ids: list[int]) -> set[int]:
    """Of these hazards, those not yet graded (发现/登记): candidates, 待核实."""
    return {i for start in range(0, len(ids), 500) for i in session.scalars(
        select(Hazard.id).where(Hazard.id.in_(ids[start:start + 500]),
                                Hazard.state.in_(flow.UNVERIFIED)))}
