"""The demo city's hazards: plausible hazard zones, and the hand-entered risk points beside them.

Not official maps (DOMAIN.md §2 marks the sources **[?]**): shapes that look like what a
city's census would hold, laid on the demo's real districts so the risk maps have something
to say. Deterministic (fixed shapes, a seeded generator), built in EPSG:4549 metres and
stored in lon/lat snapped to 1e-7°, which keeps every polygon valid.

- water (:mod:`demo.water_zones`): 城市内涝风险区 around the flood points and lowlands,
  洪水淹没区 along the Qiantang and the Fuchun, 台风风暴潮影响区 in the estuary.
- hills (:mod:`demo.geological_zones`): 地质灾害易发区 and 风险防范区 in the western hills.
- 地震烈度区 (here): the whole city at VI 度 (GB 18306—2015: 0.05 g), class 2.

Risk points (:mod:`demo.risk_points`) are loaded with the zones, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import shapely
from geoalchemy2 import WKTElement
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from demo.columns import CREATED_BY, DATA_SOURCE
from demo.districts import CITY_CODE
from demo.geological_zones import geological
from demo.inserts import table_of
from demo.risk_points import insert_points
from demo.space import to_metres
from demo.water_zones import river_floods, surge, waterlogging
from demo.zone_parts import DemoZone, FloodSite, stored
from resilience.model import SRID, now
from risk.hazard_zones import HazardZone

SURVEYED = date(2025, 6, 30)


def zones(counties: Mapping[str, BaseGeometry], city: BaseGeometry, river: BaseGeometry,
          flood_sites: Sequence[FloodSite], seed: int = 2026) -> list[DemoZone]:
    """Every demo hazard zone (pure: same inputs, same zones).

    ``counties`` and ``city`` are the stored boundaries (lon/lat); the source's county
    polygons reach a little past the city's into the bay, so zones stay inside both.
    """
    rng = np.random.default_rng(seed)
    counties_m = {}
    for code, poly in counties.items():
        parts = [p for p in shapely.get_parts(shapely.make_valid(shapely.intersection(poly, city)))
                 if isinstance(p, Polygon) and p.area > 0]
        counties_m[code] = to_metres(MultiPolygon(parts) if len(parts) > 1 else parts[0])
    out: list[DemoZone] = []
    out += waterlogging(rng, counties_m, flood_sites, seed)
    out += river_floods(counties_m, to_metres(river))
    out += geological(rng, counties_m)
    out += _seismic(city)
    out += surge(counties_m, to_metres(river))
    return out


def _seismic(city: BaseGeometry) -> list[DemoZone]:
    """The whole city at basic intensity VI (one zone)."""
    geom = stored(to_metres(city), city)
    if geom is None:
        return []
    return [DemoZone("杭州市地震基本烈度Ⅵ度区", "seismic", 2, CITY_CODE, geom, 475, 6.0, "度",
                     "中国地震局（GB 18306—2015）",
                     "基本地震动峰值加速度 0.05g（50年超越概率10%），对应地震基本烈度Ⅵ度")]


def loaded(session: Session) -> bool:
    """True when the demo's hazard zones are in the database."""
    z = HazardZone.__table__.c
    return session.scalar(select(z.id).where(z.data_source == DATA_SOURCE).limit(1)) is not None


def load(session: Session, counties: Mapping[str, BaseGeometry], city: BaseGeometry,
         river: BaseGeometry, flood_sites: Sequence[FloodSite], *, seed: int = 2026
         ) -> tuple[int, int]:
    """Insert the demo's hazard zones and risk points (once); returns how many of each."""
    if loaded(session):
        return 0, 0
    stamp = now()
    made = zones(counties, city, river, flood_sites, seed)
    rows = []
    for i, z in enumerate(made, 1):
        rows.append({
            "name": z.name, "external_id": f"FXQ-{z.division_code}-{i:03d}", "kind": z.kind,
            "hazard_class": z.hazard_class, "return_period_years": z.return_period_years,
            "intensity": z.intensity, "intensity_unit": z.intensity_unit,
            "issuing_unit": z.issuing_unit, "remarks": z.remarks,
            "division_code": z.division_code, "data_source": DATA_SOURCE,
            "survey_date": SURVEYED, "geom": WKTElement(z.geom.wkt, srid=SRID),
            "created_at": stamp, "updated_at": stamp, "created_by": CREATED_BY,
            "updated_by": CREATED_BY})
    if rows:
        session.execute(insert(table_of(HazardZone)), rows)
    points = insert_points(session, {c: shapely.intersection(p, city) for c, p in counties.items()},
                           stamp)
    session.flush()
    return len(rows), points
