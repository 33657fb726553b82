"""What a risk run stores: the run, the published five- and four-colour results, the diff.

The result tables hold the **published** maps only: a run computes everything first, then
replaces the rows it recomputed in one transaction, so readers see the previous run's maps
until the new one commits, and a failed run leaves them untouched. Each run keeps its counts
and its diff (``risk_changes``: what changed level, before and after, and why) for history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inventory.assets import CollectionSpec, F, register
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json, geometry
from risk import codes


class RiskRun(Base):
    """One computation of the maps: full or incremental, its scheme, counts and diff summary.

    ``active`` is 1 while the run is queued or running and NULL afterwards; its unique index
    makes a second concurrent run impossible, whatever races (a key, not luck).
    """

    __tablename__ = "risk_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), nullable=False, default="full")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    active: Mapped[int | None] = mapped_column(Integer, unique=True)
    job_id: Mapped[int | None] = mapped_column(Integer)
    scheme_name: Mapped[str] = mapped_column(String(40), nullable=False)
    scheme_version: Mapped[int] = mapped_column(Integer, nullable=False)
    cell_size_m: Mapped[float] = mapped_column(Float, nullable=False)
    requested_by: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inputs_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, Any] | None] = mapped_column(Json)
    summary: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(Text)


class _ResultColumns:
    """Columns both maps share: the unit and its reference, level, score and explanation."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(16), nullable=False)
    ref: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    geom: Mapped[WKBElement] = mapped_column(geometry("GEOMETRY"), nullable=False)
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)
    colour: Mapped[str] = mapped_column(String(8), nullable=False)
    score: Mapped[float | None] = mapped_column(Float)
    measure: Mapped[float | None] = mapped_column(Float)  # length (m) of a line, area (m²) else
    decided_by: Mapped[str | None] = mapped_column(String(80))
    explanation: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False)
    run_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    scheme: Mapped[str] = mapped_column(String(40), nullable=False)
    scheme_version: Mapped[int] = mapped_column(Integer, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)


class FiveColourResult(_ResultColumns, Base):
    """A published 五色图 result: a cell (H, E, V, C, R), an asset or a division."""

    __tablename__ = "risk_five_colour"
    __table_args__ = (UniqueConstraint("unit", "ref"),)

    hazard: Mapped[float | None] = mapped_column(Float)
    exposure: Mapped[float | None] = mapped_column(Float)
    vulnerability: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[float | None] = mapped_column(Float)


class FourColourResult(_ResultColumns, Base):
    """A published 四色图 result: a zone (cell, tunnel, division) or asset and its points."""

    __tablename__ = "risk_four_colour"
    __table_args__ = (UniqueConstraint("unit", "ref"),)

    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class RiskChange(Base):
    """One line of a run's diff: a unit whose level changed (or appeared, or went)."""

    __tablename__ = "risk_changes"
    __table_args__ = (Index("ix_risk_changes_run_map", "run_id", "map"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, nullable=False)
    map: Mapped[str] = mapped_column(String(8), nullable=False)  # "five" or "four"
    unit: Mapped[str] = mapped_column(String(16), nullable=False)
    ref: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    division_code: Mapped[str | None] = mapped_column(String(12))
    before_level: Mapped[str | None] = mapped_column(String(16))
    after_level: Mapped[str | None] = mapped_column(String(16))
    before_score: Mapped[float | None] = mapped_column(Float)
    after_score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[dict[str, Any] | None] = mapped_column(Json)


_RESULT_FIELDS = (
    F("unit", "code", "单元", "Unit", readonly=True, codes=codes.RESULT_UNITS),
    F("ref", "str", "单元编号", "Unit reference", readonly=True, max_length=64),
    F("name", "str", "名称", "Name", readonly=True),
    F("division_code", "str", "行政区划", "Division", readonly=True, max_length=12),
)
_RESULT_TAIL = (
    F("measure", "float", "长度(m)/面积(m²)", "Length (m) / area (m²)", readonly=True),
    F("colour", "str", "颜色", "Colour", readonly=True, filterable=False),
    F("decided_by", "str", "决定因素", "Decided by", readonly=True, max_length=80),
    F("explanation", "text", "说明", "Explanation", readonly=True, filterable=False),
    F("run_id", "int", "计算批次", "Run", readonly=True),
    F("scheme", "str", "评估方案", "Scheme", readonly=True, max_length=40),
    F("scheme_version", "int", "方案版本", "Scheme version", readonly=True),
    F("computed_at", "str", "计算时间", "Computed at", readonly=True, filterable=False),
)

FIVE_COLOUR = register(CollectionSpec(
    name="risk-five-colour", rank=100, zh="自然灾害综合风险(五色图)", en="Composite risk (five-colour)",
    model=FiveColourResult, geometry_types=("Polygon", "LineString", "Point", "MultiPolygon"),
    fields=(
        *_RESULT_FIELDS,
        F("level", "code", "风险等级", "Level", readonly=True, codes=codes.FIVE_LEVELS),
        F("score", "float", "风险值 R", "Risk R", readonly=True),
        F("hazard", "float", "危险性 H", "Hazard H", readonly=True),
        F("exposure", "float", "暴露度 E", "Exposure E", readonly=True),
        F("vulnerability", "float", "脆弱性 V", "Vulnerability V", readonly=True),
        F("capacity", "float", "减灾能力 C", "Capacity C", readonly=True),
        *_RESULT_TAIL,
    ),
    readonly_collection=True,
    temporal="computed_at",
))

FOUR_COLOUR = register(CollectionSpec(
    name="risk-four-colour", rank=110, zh="安全风险(四色图)", en="Work-safety risk (four-colour)",
    model=FourColourResult, geometry_types=("Polygon", "LineString", "Point", "MultiPolygon"),
    fields=(
        *_RESULT_FIELDS,
        F("level", "code", "风险等级", "Level", readonly=True, codes=codes.FOUR_LEVELS),
        F("score", "float", "最高风险值", "Highest score", readonly=True),
        F("points", "int", "风险点数", "Risk points", readonly=True),
        *_RESULT_TAIL,
    ),
    readonly_collection=True,
    temporal="computed_at",
))
