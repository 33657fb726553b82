"""Small valid features near known places, clear of district boundaries."""

from __future__ import annotations

import copy
from typing import Any

XIHU = (120.08, 30.28)  # 西湖区 330106, well inside
SHANGCHENG = (120.20, 30.25)  # 上城区 330102
GONGSHU = (120.16, 30.30)  # 拱墅区 330105


def line(at: tuple[float, float] = XIHU, dx: float = 0.001, dy: float = 0.0005) -> dict[str, Any]:
    x, y = at
    return {"type": "LineString", "coordinates": [[x, y], [x + dx, y + dy]]}


def point(at: tuple[float, float] = XIHU) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(at)}


def square(at: tuple[float, float] = XIHU, size: float = 0.002) -> dict[str, Any]:
    x, y = at
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def pipeline(at: tuple[float, float] = XIHU, **props: Any) -> dict[str, Any]:
    base = {"name": "文三路给水管", "category": "water_supply", "subcategory": "distribution",
            "material": "ductile_iron", "diameter_mm": 300, "start_depth_m": 1.2,
            "end_depth_m": 1.4, "build_year": 2005, "owner": "杭州市水务集团有限公司",
            "status": "in_service", "condition_grade": 2, "external_id": None}
    base.update(props)
    return feature(line(at), **base)


def network_point(at: tuple[float, float] = XIHU, **props: Any) -> dict[str, Any]:
    base = {"kind": "valve", "category": "water_supply", "depth_m": 1.2,
            "ground_elevation_m": 6.5}
    base.update(props)
    return feature(point(at), **base)


def shelter(at: tuple[float, float] = XIHU, **props: Any) -> dict[str, Any]:
    base = {"name": "西溪公园避难场所", "kind": "emergency_shelter", "shelter_class": "fixed_short",
            "site_type": "outdoor", "effective_area_m2": 20000, "managing_unit": "西湖区应急管理局",
            "facilities": ["应急供水", "应急厕所"], "is_open": True}
    base.update(props)
    return feature(square(at), **base)


def flood_point(at: tuple[float, float] = XIHU, **props: Any) -> dict[str, Any]:
    base = {"name": "文二西路下穿", "cause": "underpass", "status": "active",
            "trigger_rainfall_mm_h": 40,
            "events": [{"occurred_on": "2024-06-20", "max_depth_cm": 35, "duration_h": 2,
                        "rainfall_mm": 120}]}
    base.update(props)
    return feature(point(at), **base)


def tunnel(at: tuple[float, float] = XIHU, **props: Any) -> dict[str, Any]:
    base = {"name": "文一路综合管廊", "tunnel_type": "branch",
            "cabins": [{"name": "综合舱", "use": "integrated", "pipeline_ids": []},
                       {"name": "电力舱", "use": "power"}],
            "nodes": [{"kind": "access", "name": "1号出入口", "position": [at[0], at[1]]}]}
    base.update(props)
    return feature(line(at, dx=0.004, dy=0.0), **base)


def with_props(feat: dict[str, Any], **props: Any) -> dict[str, Any]:
    out = copy.deepcopy(feat)
    out["properties"].update(props)
    return out
