"""Issue 14 §9 on both databases: the QR status page says where a colour comes from by name.

Before: the page showed the division's code (330106) and no source for either level; a
five-colour asset's explanation named its grid cell (``c500:…``). Now the asset's place is
its district (and street), the five-colour level names the street and district of the cell
that set it, the four-colour level the risk point that did; no grid reference is shown.
The colours themselves (grey for not assessed, 黄 for an open 一般隐患, hatched five-colour
swatches) are held by ``tests/web/test_inspect.py`` and ``tests/unit/test_status_rules.py``.
"""

from __future__ import annotations

import re
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from risk.results import FiveColourResult, FourColourResult
from tests import factories as f
from tests.web.test_asset_page import create, sign_in


def publish(session: Session, model: Any, ref: str, level: str, ordinal: int, colour: str,
            explanation: dict[str, Any], decided_by: str) -> None:
    session.add(model(unit="asset", ref=ref, name="测试", division_code="330106",
                      geom=from_shape(Point(120.13, 30.27), srid=4490), level=level,
                      ordinal=ordinal, colour=colour, score=0.3, explanation=explanation,
                      decided_by=decided_by, run_id=1, scheme="test", scheme_version=1))
    session.flush()


def test_the_status_page_names_the_place_not_the_cell(client: Any, auth: Any,
                                                       session: Session) -> None:
    key = create(client, auth, f.pipeline())
    publish(session, FiveColourResult, f"pipelines/{key}", "fairly_low", 2, "#5CC8F5",
            {"rule": "highest", "cell": "c500:41046:6698", "place": "西湖区 北山街道"},
            "c500:41046:6698")
    publish(session, FourColourResult, f"pipelines/{key}", "low", 1, "#0070FF",
            {"rule": "highest", "point": {"id": 7, "name": "文三路给水管老化"}},
            "risk-points/7")
    session.commit()
    sign_in(client, "inspector", "inspector-demo-2026")
    page = client.get(f"/s/pipelines/{key}").get_data(as_text=True)
    place = re.search(r'id="asset-place">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    assert place == "西湖区"
    five = re.search(r'id="five-from">\(([^)]+)\)', page).group(1)  # type: ignore[union-attr]
    assert five == "IV 级; 西湖区 北山街道的网格"
    assert "风险点 文三路给水管老化" in page
    assert "c500:" not in page
    # Blue twice, told apart: the five-colour 较低 swatch is hatched, the four-colour 低 solid.
    assert re.search(r'id="five-level"><span class="swatch five"', page)
    assert re.search(r'id="four-level"><span class="swatch"', page)
    assert re.search(r'data-colour="blue"', page)  # the four-colour 低 level's own colour
    client.get("/lang/en?next=/")
    page = client.get(f"/s/pipelines/{key}").get_data(as_text=True)
    assert re.search(r'id="asset-place">West Lake|id="asset-place">Xihu', page), \
        re.search(r'id="asset-place">([^<]+)<', page)
    assert "grid cell in 西湖区 北山街道" in page
