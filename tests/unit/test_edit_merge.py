"""The three-way merge of a stale edit form, without a database or a request."""

from __future__ import annotations

from typing import Any

from inventory.service import collection
from web.pages.edit_merge import as_text, merge

FIELDS = [f for f in collection("pipelines").fields if f.name in ("diameter_mm", "owner", "remarks")]
LINE = {"type": "LineString", "coordinates": [[120.08, 30.28], [120.081, 30.2805]]}
MOVED = {"type": "LineString", "coordinates": [[120.08, 30.28], [120.082, 30.2805]]}


def rec(geometry: dict[str, Any] = LINE, **values: Any) -> dict[str, Any]:
    return {"diameter_mm": 300.0, "owner": "水务集团", "remarks": "a\nb", "geometry": geometry, **values}


def form(**values: str) -> dict[str, str]:
    return {"diameter_mm": "300.0", "owner": "水务集团", "remarks": "a\r\nb", **values}


def test_untouched_fields_take_the_saved_value_and_mine_are_kept() -> None:
    m = merge(FIELDS, form(owner="城管局"), LINE, base=rec(), saved=rec(MOVED, diameter_mm=400.0))
    assert m.conflicts == ()
    assert m.form == {"diameter_mm": "400.0", "owner": "城管局", "remarks": "a\nb"}
    assert m.geometry == MOVED


def test_the_same_value_typed_differently_is_no_change() -> None:
    m = merge(FIELDS, form(diameter_mm="300"), LINE, base=rec(), saved=rec(diameter_mm=400.0))
    assert m.conflicts == () and m.form["diameter_mm"] == "400.0"


def test_both_changing_a_field_differently_is_a_conflict_and_keeps_mine() -> None:
    m = merge(FIELDS, form(diameter_mm="350"), MOVED, base=rec(),
              saved=rec({**LINE, "coordinates": [[120.0, 30.0], [120.1, 30.1]]}, diameter_mm=400.0))
    assert m.conflicts == ("diameter_mm", "geometry")
    assert m.form["diameter_mm"] == "350" and m.geometry == MOVED
    same = merge(FIELDS, form(diameter_mm="400"), LINE, base=rec(), saved=rec(diameter_mm=400.0))
    assert same.conflicts == ()  # both made the same change


def test_without_the_opened_version_every_difference_is_a_conflict() -> None:
    m = merge(FIELDS, form(owner="城管局"), LINE, base=None, saved=rec(diameter_mm=400.0))
    assert m.conflicts == ("diameter_mm", "owner")


def test_values_as_the_form_shows_them() -> None:
    assert [as_text(v) for v in (None, True, False, [1, 2], 3.5)] == ["", "true", "false", "1; 2", "3.5"]
