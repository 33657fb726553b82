"""Emergency shelters (应急避难场所) and civil-defence works (人防工程)."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import Boolean, Float, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.assets import COMMON_HEAD, COMMON_TAIL, AssetColumns, CollectionSpec, F, register
from resilience import codes
from resilience.errors import Problem
from resilience.model import Base
from resilience.spatial import Json, geometry


class Shelter(AssetColumns, Base):
    """A shelter site (outdoor) or building (indoor), as a point or its footprint."""

    __tablename__ = "shelters"

    geom: Mapped[WKBElement] = mapped_column(geometry("GEOMETRY"), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    shelter_class: Mapped[str] = mapped_column(String(16), nullable=False)
    tier: Mapped[str | None] = mapped_column(String(16))
    site_type: Mapped[str | None] = mapped_column(String(16))
    effective_area_m2: Mapped[float | None] = mapped_column(Float)
    capacity_persons: Mapped[int | None] = mapped_column(Integer)
    facilities: Mapped[list[str] | None] = mapped_column(Json)
    entrances: Mapped[int | None] = mapped_column(SmallInteger)
    managing_unit: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    is_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    build_year: Mapped[int | None] = mapped_column(SmallInteger)


def capacity_from_area(shelter_class: str | None, area_m2: float | None) -> int | None:
    """floor(effective area ÷ per-capita minimum), DOMAIN.md §7."""
    per_person = codes.SHELTER_AREA_PER_PERSON.get(shelter_class or "")
    if per_person is None or area_m2 is None:
        return None
    return int(area_m2 // per_person)


def _shelter_checks(v: dict[str, Any]) -> list[Problem]:
    problems = []
    cap = v.get("capacity_persons")
    limit = capacity_from_area(v.get("shelter_class"), v.get("effective_area_m2"))
    if cap is not None and limit is not None and cap > limit:
        problems.append(Problem("capacity_persons", "capacity_over_area",
                                {"value": cap, "max": limit}))
    if v.get("shelter_class") == "emergency" and cap is not None and cap > 2000 \
            and v.get("kind") == "emergency_shelter":
        problems.append(Problem("capacity_persons", "emergency_unit_too_large",
                                {"value": cap, "max": 2000}))
    return problems


SHELTERS = register(CollectionSpec(
    name="shelters", rank=40, searchable=True, zh="避难场所", en="Shelters", model=Shelter,
    geometry_types=("Point", "Polygon", "MultiPolygon"),
    fields=(
        *COMMON_HEAD,
        F("kind", "code", "类型", "Kind", required=True, codes=codes.SHELTER_KINDS),
        F("shelter_class", "code", "避难场所类别", "Shelter class", required=True,
          codes=codes.SHELTER_CLASSES),
        F("tier", "code", "层级", "Tier", codes=codes.SHELTER_TIERS),
        F("site_type", "code", "场地/场所", "Site type", codes=codes.SHELTER_SITE_TYPES),
        F("effective_area_m2", "float", "有效避难面积(m²)", "Effective area (m²)", min=0,
          exclusive_min=True, max=10_000_000, unit="m2"),
        F("capacity_persons", "int", "容纳人数", "Capacity (persons)", min=0, max=2_000_000),
        F("facilities", "str_list", "配套设施", "Facilities", filterable=False),
        F("entrances", "int", "出入口数", "Entrances", min=0, max=100),
        F("managing_unit", "str", "管理单位", "Managing unit"),
        F("contact_phone", "str", "联系电话", "Contact phone", max_length=40),
        F("is_open", "bool", "是否开放", "Open", default=True),
        F("build_year", "int", "建设年代", "Build year", min=1900),
        *COMMON_TAIL,
    ),
    cross_checks=(_shelter_checks,),
))
