"""The published maps as GIS layers: one per kind of map unit, each of one geometry type.

A five- or four-colour map stacks grid cells, assets of every shape (pipeline lines, point
sites, shelter outlines), tunnels and the divisions of every level. Read as one layer, QGIS
keeps the type of the first features and drops the rest, and the stacked province, city and
county polygons hide one another. So each map is offered as cells, assets by geometry,
tunnels (the four-colour map's zones) and divisions per level; its own name stays readable
whole, as the registry's pages and scripts read it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func

from inventory.assets import CollectionSpec
from inventory.layers import Layer, Where, both, of_family, register_layers
from risk.results import FIVE_COLOUR, FOUR_COLOUR


def unit_is(unit: str) -> Where:
    """Results of one kind of unit (the unique (unit, ref) index serves it)."""
    return lambda table, geom: table.c.unit == unit


def _division_level(level: str) -> Where:
    """Division results of one administrative level, read from the GB/T 2260 code in ``ref``
    (as ``resilience.divisions.level_of`` does: no join with the divisions table)."""
    def where(table: Table, geom: Any) -> ColumnElement[bool]:
        ref = table.c.ref
        six = func.length(ref) <= 6
        if level == "province":
            test = and_(six, func.substr(ref, 3, 4) == "0000")
        elif level == "city":
            test = and_(six, func.substr(ref, 3, 4) != "0000", func.substr(ref, 5, 2) == "00")
        elif level == "county":
            test = and_(six, func.substr(ref, 5, 2) != "00")
        else:
            test = func.length(ref) > 6
        return and_(table.c.unit == "division", test)
    return where


DIVISION_LEVELS = (  # id suffix, level, Chinese, English
    ("provinces", "province", "省级", "provinces"),
    ("cities", "city", "市级", "cities"),
    ("counties", "county", "区县", "districts and counties"),
    ("townships", "township", "乡镇街道", "townships and streets"),
)


def _map_layers(spec: CollectionSpec, tunnels: bool) -> list[Layer]:
    name = spec.name
    out = [
        Layer(f"{name}-cells", spec, "polygon", f"{spec.zh}·网格", f"{spec.en}: grid cells",
              unit_is("cell"), multi=True),
        Layer(f"{name}-asset-lines", spec, "line", f"{spec.zh}·线状设施",
              f"{spec.en}: line assets", both(unit_is("asset"), of_family("line"))),
        Layer(f"{name}-asset-points", spec, "point", f"{spec.zh}·点状设施",
              f"{spec.en}: point assets", both(unit_is("asset"), of_family("point"))),
        Layer(f"{name}-asset-polygons", spec, "polygon", f"{spec.zh}·面状设施",
              f"{spec.en}: area assets", both(unit_is("asset"), of_family("polygon")),
              multi=True),
    ]
    if tunnels:
        out.append(Layer(f"{name}-tunnels", spec, "line", f"{spec.zh}·管廊",
                         f"{spec.en}: utility tunnels", unit_is("tunnel")))
    for suffix, level, zh, en in DIVISION_LEVELS:
        out.append(Layer(f"{name}-{suffix}", spec, "polygon", f"{spec.zh}·{zh}",
                         f"{spec.en}: {en}", _division_level(level), multi=True))
    return out


register_layers(FIVE_COLOUR, _map_layers(FIVE_COLOUR, tunnels=False))
register_layers(FOUR_COLOUR, _map_layers(FOUR_COLOUR, tunnels=True))
