"""Flood points (易涝点) and their waterlogging history."""

from __future__ import annotations

from datetime import date
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import Date, Float, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.assets import (
    COMMON_HEAD,
    COMMON_TAIL,
    AssetColumns,
    ChildSpec,
    CollectionSpec,
    F,
    register,
)
from resilience import codes
from resilience.errors import Problem
from resilience.model import Base
from resilience.spatial import geometry


class FloodPoint(AssetColumns, Base):
    """A place that floods in heavy rain, with its cause, plan and responsible unit."""

    __tablename__ = "flood_points"

    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)
    cause: Mapped[str | None] = mapped_column(String(24))
    catchment: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    eliminated_on: Mapped[date | None] = mapped_column(Date)
    trigger_rainfall_mm_h: Mapped[float | None] = mapped_column(Float)
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    contact_person: Mapped[str | None] = mapped_column(String(100))
    plan: Mapped[str | None] = mapped_column(Text)
    pumps: Mapped[int | None] = mapped_column(SmallInteger)
    events: Mapped[list[WaterloggingEvent]] = relationship(
        cascade="all, delete-orphan", order_by="WaterloggingEvent.occurred_on", lazy="selectin"
    )


class WaterloggingEvent(Base):
    """One waterlogging event at a flood point."""

    __tablename__ = "waterlogging_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flood_point_id: Mapped[int] = mapped_column(
        ForeignKey("flood_points.id", ondelete="CASCADE"), nullable=False, index=True
    )
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    max_depth_cm: Mapped[float | None] = mapped_column(Float)
    duration_h: Mapped[float | None] = mapped_column(Float)
    rainfall_mm: Mapped[float | None] = mapped_column(Float)
    area_m2: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)


def _flood_checks(v: dict[str, Any]) -> list[Problem]:
    problems = []
    if v.get("status") == "eliminated" and not v.get("eliminated_on"):
        problems.append(Problem("eliminated_on", "required_when",
                                {"other": "status", "value": "eliminated"}))
    if v.get("status", "active") == "active" and v.get("eliminated_on"):
        problems.append(Problem("eliminated_on", "only_when",
                                {"other": "status", "value": "eliminated"}))
    return problems


EVENTS = ChildSpec("events", "积水记录", "Waterlogging events", (
    F("id", "int", "编号", "Id", readonly=True),
    F("occurred_on", "date", "发生日期", "Date", required=True),
    F("max_depth_cm", "float", "最大积水深度(cm)", "Max depth (cm)", min=0, max=1000, unit="cm"),
    F("duration_h", "float", "积水时长(h)", "Duration (h)", min=0, max=1000, unit="h"),
    F("rainfall_mm", "float", "降雨量(mm)", "Rainfall (mm)", min=0, max=2000, unit="mm"),
    F("area_m2", "float", "积水面积(m²)", "Area (m²)", min=0, max=10_000_000, unit="m2"),
    F("note", "text", "说明", "Note", max_length=2000),
))

FLOOD_POINTS = register(CollectionSpec(
    name="flood-points", rank=50, searchable=True, zh="易涝点", en="Flood points", model=FloodPoint,
    geometry_types=("Point",),
    fields=(
        *COMMON_HEAD,
        F("cause", "code", "成因", "Cause", codes=codes.FLOOD_CAUSES),
        F("catchment", "str", "汇水分区", "Catchment"),
        F("status", "code", "状态", "Status", codes=codes.FLOOD_POINT_STATUSES,
          default="active"),
        F("eliminated_on", "date", "消除日期", "Eliminated on"),
        F("trigger_rainfall_mm_h", "float", "致涝雨强(mm/h)", "Trigger rainfall (mm/h)",
          min=0, exclusive_min=True, max=500, unit="mm/h"),
        F("responsible_unit", "str", "责任单位", "Responsible unit"),
        F("contact_person", "str", "责任人", "Contact person", max_length=100),
        F("plan", "text", "一点一策", "Plan", max_length=4000, filterable=False),
        F("pumps", "int", "泵车/泵数", "Pumps", min=0, max=1000),
        *COMMON_TAIL,
    ),
    children=(EVENTS,),
    cross_checks=(_flood_checks,),
))
