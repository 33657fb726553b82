"""The read-only ``divisions`` collection, so clients can draw and filter by division."""

from __future__ import annotations

from inventory.assets import CollectionSpec, F, register
from resilience import codes
from resilience.divisions import Division

DIVISIONS = register(CollectionSpec(
    name="divisions", rank=60, zh="行政区划", en="Administrative divisions", model=Division,
    geometry_types=("MultiPolygon",),
    fields=(
        F("code", "str", "区划代码", "Code", readonly=True),
        F("name", "str", "名称", "Name", readonly=True),
        F("name_en", "str", "英文名称", "English name", readonly=True),
        F("level", "code", "层级", "Level", codes=codes.DIVISION_LEVELS, readonly=True),
        F("parent_code", "str", "上级代码", "Parent code", readonly=True),
        F("population", "int", "常住人口", "Population", readonly=True),
    ),
    readonly_collection=True,
))
