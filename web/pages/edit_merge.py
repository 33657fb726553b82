"""Three-way merge of a stale edit form: the version the editor opened, their form, the saved record.

A field the editor left as they found it takes the saved value (so pressing 保存 on a stale
form never reverts a colleague's change); a field only they changed keeps their value; a
field both changed to different values is a conflict for them to decide. Pure: no request,
no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inventory.assets import FieldSpec
from inventory.service import rounded

LIST_SEPARATORS = (";", "；", "、", "，", ",")
_UNKNOWN = object()  # no base: the opened version is not in the audit trail


@dataclass(frozen=True)
class Merged:
    """The form to save or show again, and the fields both people changed differently."""

    form: dict[str, str]
    geometry: dict[str, Any] | None
    conflicts: tuple[str, ...]


def as_text(value: Any) -> str:
    """A stored value as the form shows it (the inverse of how the form is read)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _canonical(field: FieldSpec, text: str) -> Any:
    """What a typed value means, so "350" equals "350.0" and a textarea's CRLF its LF."""
    text = text.replace("\r\n", "\n").strip()
    if field.kind in ("int", "float"):
        try:
            return float(text)
        except ValueError:
            return text
    if field.kind in ("str_list", "int_list"):
        for sep in LIST_SEPARATORS[1:]:
            text = text.replace(sep, LIST_SEPARATORS[0])
        return tuple(p.strip() for p in text.split(LIST_SEPARATORS[0]) if p.strip())
    return text


def merge(fields: Sequence[FieldSpec], form: Mapping[str, str], geometry: dict[str, Any] | None,
          *, base: Mapping[str, Any] | None, saved: Mapping[str, Any]) -> Merged:
    """Merge field by field; without a base (no audit entry) every difference is a conflict.

    Args:
        fields: the form's editable fields.
        form: the submitted form (text per field).
        geometry: the submitted geometry (typed or drawn) as GeoJSON.
        base: the record as the editor opened it (an audit snapshot), with "geometry".
        saved: the record as saved now, with "geometry".
    """
    out: dict[str, str] = {}
    conflicts: list[str] = []
    for f in fields:
        mine = form.get(f.name) or ""
        now = as_text(saved.get(f.name))
        value, conflict = _pick(
            _canonical(f, mine),
            _UNKNOWN if base is None else _canonical(f, as_text(base.get(f.name))),
            _canonical(f, now))
        out[f.name] = now if value == "saved" else mine
        if conflict:
            conflicts.append(f.name)
    mine_geometry = rounded(geometry) if geometry is not None else None
    saved_geometry = saved.get("geometry")
    base_geometry = _UNKNOWN if base is None else rounded(base.get("geometry"))
    value, conflict = _pick(mine_geometry, base_geometry, rounded(saved_geometry))
    if conflict:
        conflicts.append("geometry")
    merged_geometry = saved_geometry if value == "saved" else geometry
    return Merged(form=out, geometry=merged_geometry, conflicts=tuple(conflicts))


def _pick(mine: Any, base: Any, saved: Any) -> tuple[str, bool]:
    """Whose value wins ("mine" or "saved"), and whether both changed it differently."""
    if mine == saved:
        return "saved", False
    if base is _UNKNOWN:
        return "mine", True
    if mine == base:
        return "saved", False  # untouched here: the colleague's value stands
    if saved == base:
        return "mine", False  # only this editor changed it
    return "mine", True
