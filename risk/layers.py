"""Risk's collections as vector-tile layers, registered beside the assets' own layers.

The gravest drawn last, so it stays on top where zones, points or map units overlap.
"""

from __future__ import annotations

from inventory.tiles import TileLayer, register_layer
from risk.levels import FOUR_COLOUR

FOUR_LEVEL_ORDER = tuple(level.code for level in FOUR_COLOUR)  # DOMAIN.md §3, lowest first
# What a published map needs to colour and label a unit without a request per feature.
RESULT_PROPERTIES = ("unit", "ref", "name", "level", "colour", "score", "division_code")

HAZARD_ZONES = register_layer(TileLayer(
    "hazard-zones", ("name", "kind", "hazard_class", "return_period_years"),
    order_column="hazard_class"))
RISK_POINTS = register_layer(TileLayer(
    "risk-points", ("name", "category", "method", "score", "level"),
    draw_order=("level", FOUR_LEVEL_ORDER)))
# Every unit (cells, assets, tunnels, divisions) in one layer. Not tracked by ``updated_at``:
# a tile's ETag is its content's digest, as for divisions.
# A five-colour cell without exposure holds nothing registered (无登记设施): drawn apart.
FIVE_COLOUR = register_layer(TileLayer("risk-five-colour", (*RESULT_PROPERTIES, "exposure"),
                                       order_column="ordinal"))
FOUR_COLOUR_LAYER = register_layer(TileLayer("risk-four-colour", RESULT_PROPERTIES,
                                             order_column="ordinal"))
