"""Pipeline segments and network points (CJJ 61-2017), the bulk of the census."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypedDict

from geoalchemy2 import WKBElement
from sqlalchemy import Float, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.assets import COMMON_HEAD, COMMON_TAIL, AssetColumns, CollectionSpec, F, register
from resilience import codes
from resilience.errors import Problem
from resilience.model import Base
from resilience.spatial import geometry


class Pipeline(AssetColumns, Base):
    """A pipeline segment between two survey points."""

    __tablename__ = "pipelines"
    __table_args__ = (Index("ix_pipelines_division_id", "division_code", "id"),)

    geom: Mapped[WKBElement] = mapped_column(geometry("LINESTRING"), nullable=False)
    category: Mapped[str] = mapped_column(String(24), nullable=False, index=True)
    subcategory: Mapped[str | None] = mapped_column(String(24))
    material: Mapped[str | None] = mapped_column(String(24))
    diameter_mm: Mapped[float | None] = mapped_column(Float)
    width_mm: Mapped[float | None] = mapped_column(Float)
    height_mm: Mapped[float | None] = mapped_column(Float)
    pressure_class: Mapped[str | None] = mapped_column(String(16))
    pressure_mpa: Mapped[float | None] = mapped_column(Float)
    voltage_kv: Mapped[float | None] = mapped_column(Float)
    cable_count: Mapped[int | None] = mapped_column(Integer)
    start_depth_m: Mapped[float | None] = mapped_column(Float)
    end_depth_m: Mapped[float | None] = mapped_column(Float)
    burial_method: Mapped[str | None] = mapped_column(String(24))
    build_year: Mapped[int | None] = mapped_column(SmallInteger)
    owner: Mapped[str | None] = mapped_column(String(200))
    operator: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="in_service")
    condition_grade: Mapped[int | None] = mapped_column(SmallInteger)
    start_point_id: Mapped[int | None] = mapped_column(ForeignKey("network_points.id"), index=True)
    end_point_id: Mapped[int | None] = mapped_column(ForeignKey("network_points.id"), index=True)
    length_m: Mapped[float | None] = mapped_column(Float)


class NetworkPoint(AssetColumns, Base):
    """A surveyed point of the network: valve, manhole, junction, meter…"""

    __tablename__ = "network_points"
    __table_args__ = (Index("ix_network_points_division_id", "division_code", "id"),)

    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    category: Mapped[str | None] = mapped_column(String(24), index=True)
    ground_elevation_m: Mapped[float | None] = mapped_column(Float)
    depth_m: Mapped[float | None] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="in_service")
    condition_grade: Mapped[int | None] = mapped_column(SmallInteger)
    build_year: Mapped[int | None] = mapped_column(SmallInteger)


def _given(raw: Any) -> bool:
    return raw is not None and not (isinstance(raw, str) and not raw.strip())


def _quoted(raw: Any) -> str:
    text = str(raw).strip()
    return text if len(text) <= 60 else text[:57] + "…"


def prepare_pipeline(props: dict[str, Any]) -> list[Problem]:
    """Either CJJ 61 level in either column: a 小类 as 管线类型 gives both, a 小类 alone its 大类.

    Each level is read in any spelling (code, name, number; ``codes.pipeline_type``) and
    becomes its enum word; what cannot be read is left for the field to refuse. A 小类 that
    the row's 大类 (or the other 小类 it names) contradicts is the sub-category's problem,
    quoting the row's own words.
    """
    cat_raw, sub_raw = props.get("category"), props.get("subcategory")
    try:
        updates, problem = _pipeline_types(cat_raw, sub_raw)  # a file repeats its pairs
    except TypeError:  # unhashable (a list sent as the category): the field refuses it
        return []
    props.update(updates)
    if problem is None:
        return []
    return [Problem("subcategory", problem, {"value": _quoted(sub_raw), "category": _quoted(cat_raw)})]


@lru_cache(maxsize=4096, typed=True)
def _pipeline_types(cat_raw: Any, sub_raw: Any) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """What :func:`prepare_pipeline` sets for a pair of raw values, and its problem code."""
    cat = codes.pipeline_type(cat_raw) if _given(cat_raw) else None
    sub = codes.pipeline_type(sub_raw, cat[0] if cat else None) if _given(sub_raw) else None
    updates: dict[str, str] = {}
    if cat is not None:
        updates["category"] = cat[0]
        if cat[1] is not None and not _given(sub_raw):
            updates["subcategory"] = cat[1]
    if sub is None or sub[1] is None:
        return tuple(updates.items()), None  # no 小类, or a 大类 in the 小类 column: the field says so
    updates["subcategory"] = sub[1]
    problem = None
    if not _given(cat_raw):
        updates["category"] = sub[0]
    elif cat is not None and sub[0] != cat[0]:
        problem = "subcategory_mismatch"
    elif cat is not None and cat[1] not in (None, sub[1]):
        problem = "subcategory_conflict"
    return tuple(updates.items()), problem


def prepare_point(props: dict[str, Any]) -> list[Problem]:
    """A point's 管线类型 in any CJJ 61 spelling as its 大类 (a point keeps no 小类)."""
    raw = props.get("category")
    found = codes.pipeline_type(raw) if _given(raw) else None
    if found is not None:
        props["category"] = found[0]
    return []


def check_mapped_types(values: dict[str, dict[str, str]]) -> list[Problem]:
    """A mapping file's words for 大类 and 小类 (``values.category``, ``values.subcategory``).

    Each must map to a type the registry knows, and never to a 小类 of another 大类 than the
    file's word names itself (管线类型 给水 → WS) or than the same word's 大类 (category
    雨水管 → 给水 with subcategory 雨水管 → YS). A bare number in the file is the file's own
    numbering, not read as CJJ 61's.
    """
    problems: list[Problem] = []
    targets: dict[str, dict[str, tuple[str, str | None]]] = {}
    for name in ("category", "subcategory"):
        for word, code in values.get(name, {}).items():
            target = codes.pipeline_type(code)
            where = f"mapping.values.{name}"
            if target is None or (name == "subcategory" and target[1] is None):
                allowed = (codes.PIPELINE_SUBCATEGORIES if name == "subcategory"
                           else codes.PIPELINE_CATEGORIES).values()
                problems.append(Problem(where, "unknown_code", {"value": code, "allowed": allowed}))
                continue
            targets.setdefault(name, {})[word] = target
            own = None if word.strip().isdigit() else codes.pipeline_type(word)
            if own is not None and own[0] != target[0]:
                problems.append(_mapped_mismatch(where, word, code, own[0], target[0]))
    for word, sub in targets.get("subcategory", {}).items():
        main = targets.get("category", {}).get(word)
        if main is not None and main[0] != sub[0]:
            problems.append(_mapped_mismatch("mapping.values.subcategory", word,
                                             values["subcategory"][word], main[0], sub[0]))
    return problems


def _mapped_mismatch(where: str, word: str, code: str, names: str, lies_in: str) -> Problem:
    def label(value: str) -> str:
        found = codes.PIPELINE_CATEGORIES.get(value)
        return f"{found.zh} ({value})" if found else value

    return Problem(where, "mapping_wrong_category", {"value": word, "code": code,
                                                     "category": label(names),
                                                     "parent": label(lies_in)})


def _pipeline_checks(v: dict[str, Any]) -> list[Problem]:
    """Rules between fields: sub-category under category, pressure only for gas, a size."""
    problems = []
    cat, sub = v.get("category"), v.get("subcategory")
    if cat and sub:
        parent = codes.PIPELINE_SUBCATEGORIES.get(sub)
        if parent is not None and parent.parent != cat:
            problems.append(Problem("subcategory", "subcategory_mismatch",
                                    {"value": sub, "category": cat}))
    if v.get("pressure_class") and cat and cat != "gas":
        problems.append(Problem("pressure_class", "only_for_gas", {"category": cat}))
    if (v.get("width_mm") is None) != (v.get("height_mm") is None):
        missing = "height_mm" if v.get("height_mm") is None else "width_mm"
        problems.append(Problem(missing, "section_needs_both", {}))
    if v.get("voltage_kv") is not None and cat and cat != "power":
        problems.append(Problem("voltage_kv", "only_for_power", {"category": cat}))
    return problems


class _Bounds(TypedDict, total=False):
    """Bounds shared by several fields, passed as ``FieldSpec(..., **bounds)``."""

    min: float
    max: float


DEPTH: _Bounds = {"min": 0, "max": 50}
YEAR: _Bounds = {"min": 1850}  # the upper bound (this year) is checked in validation

PIPELINES = register(CollectionSpec(
    name="pipelines", rank=10, searchable=True, zh="管线段", en="Pipeline segments", model=Pipeline,
    geometry_types=("LineString",),
    fields=(
        *COMMON_HEAD,
        F("category", "code", "管线大类", "Category", required=True,
          codes=codes.PIPELINE_CATEGORIES),
        F("subcategory", "code", "管线小类", "Sub-category", codes=codes.PIPELINE_SUBCATEGORIES),
        F("material", "code", "材质", "Material", codes=codes.MATERIALS),
        F("diameter_mm", "float", "管径(mm)", "Diameter (mm)", min=0, exclusive_min=True,
          max=10_000, unit="mm"),
        F("width_mm", "float", "断面宽(mm)", "Section width (mm)", min=0, exclusive_min=True,
          max=20_000, unit="mm"),
        F("height_mm", "float", "断面高(mm)", "Section height (mm)", min=0, exclusive_min=True,
          max=20_000, unit="mm"),
        F("pressure_class", "code", "压力级制", "Pressure class",
          codes=codes.GAS_PRESSURE_CLASSES),
        F("pressure_mpa", "float", "压力(MPa)", "Pressure (MPa)", min=0, max=10, unit="MPa"),
        F("voltage_kv", "float", "电压(kV)", "Voltage (kV)", min=0, max=1000, unit="kV"),
        F("cable_count", "int", "电缆条数", "Cable count", min=0, max=10_000),
        F("start_depth_m", "float", "起点埋深(m)", "Start depth (m)", unit="m", **DEPTH),
        F("end_depth_m", "float", "终点埋深(m)", "End depth (m)", unit="m", **DEPTH),
        F("burial_method", "code", "埋设方式", "Burial method", codes=codes.BURIAL_METHODS),
        F("build_year", "int", "建设年代", "Build year", **YEAR),
        F("owner", "str", "权属单位", "Owner"),
        F("operator", "str", "运维单位", "Operator"),
        F("status", "code", "使用状态", "Status", codes=codes.PIPELINE_STATUSES,
          default="in_service"),
        F("condition_grade", "int", "状况等级", "Condition grade", min=1, max=4,
          codes=codes.CONDITION_GRADES),
        F("start_point_id", "int", "起点", "Start point", min=1),
        F("end_point_id", "int", "终点", "End point", min=1),
        F("length_m", "float", "长度(m)", "Length (m)", readonly=True, filterable=False,
          unit="m"),
        F("cabin_id", "int", "所在舱室", "Tunnel cabin", readonly=True),
        *COMMON_TAIL,
    ),
    cross_checks=(_pipeline_checks,),
    prepare=prepare_pipeline,
    implied_by={"category": "subcategory"},
    references={"start_point_id": "network-points", "end_point_id": "network-points"},
))


NETWORK_POINTS = register(CollectionSpec(
    name="network-points", rank=20, searchable=True, zh="管线点", en="Network points", model=NetworkPoint,
    geometry_types=("Point",),
    fields=(
        *COMMON_HEAD,
        F("kind", "code", "点类型", "Kind", required=True, codes=codes.NETWORK_POINT_KINDS),
        F("category", "code", "管线大类", "Category", codes=codes.PIPELINE_CATEGORIES),
        F("ground_elevation_m", "float", "地面高程(m)", "Ground elevation (m)", min=-100,
          max=9000, unit="m"),
        F("depth_m", "float", "埋深(m)", "Depth (m)", unit="m", **DEPTH),
        F("owner", "str", "权属单位", "Owner"),
        F("status", "code", "使用状态", "Status", codes=codes.PIPELINE_STATUSES,
          default="in_service"),
        F("condition_grade", "int", "状况等级", "Condition grade", min=1, max=4,
          codes=codes.CONDITION_GRADES),
        F("build_year", "int", "建设年代", "Build year", **YEAR),
        F("segment_ids", "int_list", "连接管段", "Connected segments", readonly=True,
          filterable=False),
        *COMMON_TAIL,
    ),
    prepare=prepare_point,
))
