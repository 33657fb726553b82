"""Hazard zones (致灾因子): flood, waterlogging, geological, seismic, typhoon… as data.

A zone is a polygon with a kind and a class 1–5 (the registry's hazard H is class / 5);
the raw intensity and its unit are kept beside it for the explanation. Flood points and
their events are the other flood evidence (see ``risk.factors``).
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import Float, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.assets import COMMON_HEAD, COMMON_TAIL, AssetColumns, CollectionSpec, F, register
from resilience.errors import Problem
from resilience.model import Base
from resilience.spatial import geometry
from risk import codes


class HazardZone(AssetColumns, Base):
    """An area exposed to one natural hazard at a stated class (and return period)."""

    __tablename__ = "hazard_zones"

    geom: Mapped[WKBElement] = mapped_column(geometry("GEOMETRY"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    hazard_class: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    return_period_years: Mapped[int | None] = mapped_column(SmallInteger)
    intensity: Mapped[float | None] = mapped_column(Float)
    intensity_unit: Mapped[str | None] = mapped_column(String(32))
    issuing_unit: Mapped[str | None] = mapped_column(String(200))


def _zone_checks(v: dict[str, Any]) -> list[Problem]:
    problems = []
    if v.get("intensity") is not None and not v.get("intensity_unit"):
        problems.append(Problem("intensity_unit", "required_when",
                                {"other": "intensity", "value": v.get("intensity")}))
    return problems


HAZARD_ZONES = register(CollectionSpec(
    name="hazard-zones", rank=70, searchable=True, counted_by="kind", zh="灾害风险区",
    en="Hazard zones", model=HazardZone,
    geometry_types=("Polygon", "MultiPolygon"),
    fields=(
        *COMMON_HEAD,
        F("kind", "code", "灾种", "Hazard kind", required=True, codes=codes.HAZARD_KINDS),
        F("hazard_class", "int", "危险性等级", "Hazard class", required=True, min=1, max=5,
          codes=codes.HAZARD_CLASSES),
        F("return_period_years", "int", "重现期(年)", "Return period (years)", min=1, max=10000,
          unit="a"),
        F("intensity", "float", "强度", "Intensity", min=0, max=100000),
        F("intensity_unit", "str", "强度单位", "Intensity unit", max_length=32),
        F("issuing_unit", "str", "发布单位", "Issuing unit"),
        *COMMON_TAIL,
    ),
    cross_checks=(_zone_checks,),
    editing_roles=codes.RISK_EDITING_ROLES,
))
