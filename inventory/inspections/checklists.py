"""Checklist templates: versioned lists of items an inspector answers, and which answers are defects.

A template is never edited in place: saving one makes a new version, and a task keeps the
id (so the version) it was made with, so an answer is always read against the items that
were asked. Item kinds and defect rules are data (``items`` JSON); checking a submitted
answer set is pure (``check_answers``) and names every problem as ``answers.<item code>``.

An item, as stored and as the API shows it::

    {"code": "lel", "kind": "number", "zh": "可燃气体检测浓度", "en": "Combustible gas reading",
     "unit": "%LEL", "min": 0, "max": 100, "ok_min": 0, "ok_max": 1, "required": true,
     "hazard": {"category": "gas_leak", "grade": "major"}}

kinds: ``yes_no`` (``defect_when``: the answer that is a defect), ``number`` (``unit``, the
allowed range ``min``/``max``, the acceptable range ``ok_min``/``ok_max``), ``choice``
(``options``: ``[{"code", "zh", "en", "defect"}]``), ``text``, ``photo`` (a list of photo
references — attachment ids or upload names; ``required`` says whether one must be taken).
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from resilience.errors import InvalidInput, NotFound, Problem
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json

KINDS = ("yes_no", "number", "choice", "text", "photo")
GRADES = ("general", "major")  # 一般 / 重大 (DOMAIN.md §4)
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 2000
MAX_PHOTOS = 20


class ChecklistTemplate(Base):
    """One version of a checklist; (code, version) is unique and never rewritten."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False)
    applies_to: Mapped[list[str]] = mapped_column(Json, nullable=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(Json, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    created_by: Mapped[str | None] = mapped_column(String(64))

    def name(self, locale: str) -> str:
        """The template's name for a locale."""
        return self.name_zh if locale.lower().startswith("zh") else self.name_en


# -- pure: the shape of a template ------------------------------------------------------------

def _num(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_items(items: Any) -> list[Problem]:
    """Every problem with a template's items, each named ``items.<n>.<key>``."""
    if not isinstance(items, list) or not items:
        return [Problem("items", "not_a_list" if not isinstance(items, list) else "required")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        at = f"items.{n}"
        if not isinstance(item, dict):
            problems.append(Problem(at, "not_an_object"))
            continue
        code, kind = item.get("code"), item.get("kind")
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(Problem(f"{at}.code", "invalid_item_code", {"value": code}))
        elif code in seen:
            problems.append(Problem(f"{at}.code", "duplicate_item", {"value": code}))
        else:
            seen.add(code)
        for label in ("zh", "en"):
            if not isinstance(item.get(label), str) or not item[label].strip():
                problems.append(Problem(f"{at}.{label}", "required"))
        if kind not in KINDS:
            problems.append(Problem(f"{at}.kind", "unknown_code",
                                    {"value": kind, "allowed": list(KINDS)}))
            continue
        problems += _check_kind(at, kind, item)
        hazard = item.get("hazard")
        if hazard is not None and (not isinstance(hazard, dict)
                                   or hazard.get("grade", "general") not in GRADES):
            problems.append(Problem(f"{at}.hazard", "unknown_code",
                                    {"value": hazard, "allowed": list(GRADES)}))
    return problems


def _check_kind(at: str, kind: str, item: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if kind == "yes_no" and not isinstance(item.get("defect_when", False), bool):
        problems.append(Problem(f"{at}.defect_when", "not_a_boolean",
                                {"value": item.get("defect_when")}))
    if kind == "number":
        for key in ("min", "max", "ok_min", "ok_max"):
            if item.get(key) is not None and not _num(item[key]):
                problems.append(Problem(f"{at}.{key}", "not_a_number", {"value": item[key]}))
        lo, hi = item.get("min"), item.get("max")
        if _num(lo) and _num(hi) and lo > hi:
            problems.append(Problem(f"{at}.max", "too_small", {"value": hi, "min": lo}))
    if kind == "choice":
        options = item.get("options")
        if not isinstance(options, list) or not options:
            problems.append(Problem(f"{at}.options", "required"))
        else:
            codes = [o.get("code") if isinstance(o, dict) else None for o in options]
            if any(not isinstance(c, str) or not c for c in codes) or len(set(codes)) != len(codes):
                problems.append(Problem(f"{at}.options", "invalid_options", {}))
    return problems


# -- pure: answers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Defect:
    """An answer that is a defect, with the hazard it suggests."""

    item: str
    value: Any
    label_zh: str
    label_en: str
    category: str | None
    grade: str


def _required(item: dict[str, Any]) -> bool:
    return bool(item.get("required", item.get("kind") != "text" and item.get("kind") != "photo"))


def check_answers(items: list[dict[str, Any]], answers: Any) -> list[Problem]:
    """Every problem with an answer set against the template's items (``answers.<code>``)."""
    if not isinstance(answers, dict):
        return [Problem("answers", "not_an_object")]
    by_code = {i["code"]: i for i in items}
    problems = [Problem(f"answers.{k}", "unknown_item", {"value": k})
                for k in sorted(answers) if k not in by_code]
    for code, item in by_code.items():
        field, value = f"answers.{code}", answers.get(code)
        if value is None or value == "" or value == []:
            if _required(item):
                code_ = "photo_required" if item["kind"] == "photo" else "required"
                problems.append(Problem(field, code_))
            continue
        problems += _check_value(field, item, value)
    return problems


def _check_value(field: str, item: dict[str, Any], value: Any) -> list[Problem]:
    kind = item["kind"]
    if kind == "yes_no" and not isinstance(value, bool):
        return [Problem(field, "not_a_boolean", {"value": value})]
    if kind == "number":
        if not _num(value):
            return [Problem(field, "not_a_number", {"value": value})]
        if item.get("min") is not None and value < item["min"]:
            return [Problem(field, "too_small", {"value": value, "min": item["min"]})]
        if item.get("max") is not None and value > item["max"]:
            return [Problem(field, "too_large", {"value": value, "max": item["max"]})]
    if kind == "choice":
        allowed = [o["code"] for o in item["options"]]
        if value not in allowed:
            return [Problem(field, "unknown_code", {"value": value, "allowed": allowed})]
    if kind == "text" and (not isinstance(value, str) or len(value) > MAX_TEXT):
        code = "not_a_string" if not isinstance(value, str) else "too_long"
        return [Problem(field, code, {"max": MAX_TEXT})]
    if kind == "photo":
        if not isinstance(value, list) or not all(
                isinstance(v, int | str) and not isinstance(v, bool) and v != "" for v in value):
            return [Problem(field, "not_a_photo_list", {})]
        if len(value) > MAX_PHOTOS:
            return [Problem(field, "too_many_photos", {"max": MAX_PHOTOS})]
    return []


def is_defect(item: dict[str, Any], value: Any) -> bool:
    """Whether a (valid) answer is a defect by the item's own rule."""
    if value is None:
        return False
    kind = item["kind"]
    if kind == "yes_no":
        return value is item.get("defect_when", False)
    if kind == "number":
        lo, hi = item.get("ok_min"), item.get("ok_max")
        return (lo is not None and value < lo) or (hi is not None and value > hi)
    if kind == "choice":
        return any(o["code"] == value and o.get("defect") for o in item["options"])
    return False


def defects(items: list[dict[str, Any]], answers: dict[str, Any]) -> list[Defect]:
    """The defect answers of a checked answer set, in the template's order."""
    out = []
    for item in items:
        value = answers.get(item["code"])
        if is_defect(item, value):
            hazard = item.get("hazard") or {}
            out.append(Defect(item["code"], value, item["zh"], item["en"],
                              hazard.get("category"), hazard.get("grade", "general")))
    return out


# -- storage ----------------------------------------------------------------------------------

def latest(session: Session, code: str) -> ChecklistTemplate:
    """The newest version of a template, or NotFound."""
    row = session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.code == code)
                          .order_by(ChecklistTemplate.version.desc()).limit(1)).first()
    if row is None:
        raise NotFound("no such checklist template",
                       [Problem("template", "not_found", {"value": code})])
    return row


def get(session: Session, template_id: int) -> ChecklistTemplate:
    """A template version by id, or NotFound."""
    row = session.get(ChecklistTemplate, template_id)
    if row is None:
        raise NotFound("no such checklist template",
                       [Problem("template", "not_found", {"value": template_id})])
    return row


def listing(session: Session, *, all_versions: bool = False) -> list[ChecklistTemplate]:
    """Templates by code; the newest version of each unless ``all_versions``."""
    stmt = select(ChecklistTemplate)
    if not all_versions:
        newest = (select(ChecklistTemplate.code, func.max(ChecklistTemplate.version).label("v"))
                  .group_by(ChecklistTemplate.code).subquery())
        stmt = stmt.join(newest, (ChecklistTemplate.code == newest.c.code)
                         & (ChecklistTemplate.version == newest.c.v))
    return list(session.scalars(stmt.order_by(ChecklistTemplate.code,
                                              ChecklistTemplate.version)))


def save_version(session: Session, values: dict[str, Any], *, by: str | None,
                 collections: tuple[str, ...] = ()) -> ChecklistTemplate:
    """Store a new version of a template (version 1 for a new code); checks everything first.

    ``collections`` are the collection names a template may apply to (handed in by the
    caller, which knows the registry's collections).
    """
    problems: list[Problem] = []
    code = values.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        problems.append(Problem("code", "invalid_item_code", {"value": code}))
    for key in ("name_zh", "name_en"):
        if not isinstance(values.get(key), str) or not values[key].strip():
            problems.append(Problem(key, "required"))
    applies = values.get("applies_to")
    if not isinstance(applies, list) or not applies or not all(isinstance(a, str) for a in applies):
        problems.append(Problem("applies_to", "not_strings"))
    elif collections:
        problems += [Problem("applies_to", "unknown_code", {"value": a, "allowed": list(collections)})
                     for a in applies if a not in collections]
    problems += check_items(values.get("items"))
    unknown = sorted(set(values) - {"code", "name_zh", "name_en", "applies_to", "items", "note"})
    problems += [Problem(k, "unknown_property") for k in unknown]
    if problems:
        raise InvalidInput("invalid checklist template", problems)
    top = session.scalar(select(func.max(ChecklistTemplate.version))
                         .where(ChecklistTemplate.code == code)) or 0
    row = ChecklistTemplate(code=code, version=top + 1, name_zh=values["name_zh"],
                            name_en=values["name_en"], applies_to=list(values["applies_to"]),
                            items=copy.deepcopy(values["items"]), note=values.get("note"),
                            created_by=by)
    session.add(row)
    session.flush()
    return row


def as_dict(row: ChecklistTemplate) -> dict[str, Any]:
    """A template version as the API shows it."""
    return {"id": row.id, "code": row.code, "version": row.version, "name_zh": row.name_zh,
            "name_en": row.name_en, "applies_to": row.applies_to, "items": row.items,
            "note": row.note, "created_at": row.created_at.isoformat() if row.created_at else None,
            "created_by": row.created_by}
