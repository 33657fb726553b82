"""How a flat export speaks: its headings and values in Chinese, English or machine form.

People get spreadsheets whose headings are the fields' labels with their units (名称,
管径(mm), Diameter (mm)) and whose coded cells hold the codes' labels (给水, 球墨铸铁, 是/否);
GIS tools and scripts get the machine form: field names and the registry's codes. Either
goes back in: the importer knows every label as a heading (``inventory.mapping``) and every
code label as a value (``resilience.codes``). Each value is turned by one dict lookup from
tables built once per export, so a label costs no more than the code.

Times leave in the city's zone: ``2025-01-10 10:00:05`` for people, ISO 8601 with its
offset (``2025-01-10T10:00:05+08:00``) in the machine form. Dates stay ISO dates, and nested
lists (a tunnel's cabins) stay JSON in the registry's words in every form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from inventory.assets import CollectionSpec, FieldSpec
from inventory.references import number_label
from resilience.clock import local
from resilience.errors import InvalidInput, Problem

ZH, EN, MACHINE = "zh", "en", "machine"
LANGUAGES = (ZH, EN, MACHINE)

# Units named by a field's suffix, for labels that do not already carry one: (zh, en).
_UNITS = (("_mm_h", "mm/h", "mm/h"), ("_mpa", "MPa", "MPa"), ("_kv", "kV", "kV"),
          ("_m2", "m²", "m²"), ("_mm", "mm", "mm"), ("_cm", "cm", "cm"), ("_m", "m", "m"),
          ("_h", "h", "h"), ("_years", "年", "years"))
_KEY = {ZH: "系统编号", EN: "Registry ID"}  # the record's id in the install that wrote it
_BOOLEANS = {ZH: {True: "是", False: "否"}, EN: {True: "Yes", False: "No"}}
_JOIN = {ZH: "、", EN: "; "}
_SEPARATORS = re.compile(r"[;,，、；]")  # what the importer splits a list cell on
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def language(value: str | None, default: str = ZH) -> str:
    """``zh``, ``en`` or ``machine`` from a request (``zh-CN``, ``zh_CN``, ``en-US``…)."""
    raw = (value or "").strip().lower().replace("-", "_")
    if not raw:
        return default
    if raw == MACHINE:
        return MACHINE
    if raw.startswith(ZH):
        return ZH
    if raw.startswith(EN):
        return EN
    raise InvalidInput("unsupported language", [Problem("lang", "unknown_code", {
        "value": value or "", "allowed": list(LANGUAGES)})])


def field_heading(field: FieldSpec, lang: str) -> str:
    """A field's label with its unit: 管径(mm), 设计使用年限(年), Diameter (mm)."""
    label = field.zh if lang == ZH else field.en
    if "(" in label or "（" in label:
        return label
    for suffix, zh, en in _UNITS:
        if field.name.endswith(suffix):
            return f"{label}({zh})" if lang == ZH else f"{label} ({en})"
    return label


def heading(spec: CollectionSpec, name: str, lang: str, key: str = "id") -> str:
    """A column's heading in a language: its field's, nested list's or number's label."""
    if lang == MACHINE:
        return name
    field = spec.field(name)
    if field is not None:
        return field_heading(field, lang)
    child = spec.child(name)
    if child is not None:
        return child.zh if lang == ZH else child.en
    number = number_label(spec, name, lang)
    if number is not None:
        return number
    return _KEY[lang] if name == key else name


def sheet_name(spec: CollectionSpec, lang: str) -> str:
    """An Excel sheet's name: 管线段, Pipeline segments or pipelines (31 characters at most)."""
    name = spec.zh if lang == ZH else spec.en if lang == EN else spec.name
    return _SHEET_UNSAFE.sub(" ", name)[:31]


Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class Speech:
    """An export's headings and how its values are turned, column by column."""

    lang: str
    headings: list[str]
    geometry: str  # the WKT column's heading
    sheet: str
    converters: tuple[tuple[int, Convert], ...]

    def say(self, row: list[Any]) -> list[Any]:
        """A row's values as the language writes them (the row is changed in place)."""
        for i, convert in self.converters:
            row[i] = convert(row[i])
        return row


def speech(spec: CollectionSpec, columns: Iterable[tuple[str, str]], lang: str, zone: ZoneInfo,
           times: set[str], key: str = "id") -> Speech:
    """How an export of ``spec`` with these (name, kind) columns speaks ``lang``."""
    cols = list(columns)
    converters: list[tuple[int, Convert]] = []
    for i, (name, _) in enumerate(cols):
        if name in times:
            converters.append((i, _times(zone, lang)))
            continue
        field = spec.field(name)
        convert = _converter(field, lang) if field is not None and lang != MACHINE else None
        if convert is not None:
            converters.append((i, convert))
    return Speech(lang, [heading(spec, name, lang, key) for name, _ in cols],
                  "wkt" if lang == MACHINE else "WKT", sheet_name(spec, lang), tuple(converters))


def _converter(field: FieldSpec, lang: str) -> Convert | None:
    """Codes as their labels, booleans as 是/否, lists as 甲、乙 (one lookup per value)."""
    if field.codes is not None:
        table: dict[Any, str] = {}
        for code in field.codes:
            table[code.value] = code.label(lang)
            if code.value.isdigit():  # a condition grade is stored as the number 2
                table[int(code.value)] = code.label(lang)
        return lambda value: table.get(value, value)
    if field.kind == "bool":
        words = _BOOLEANS[lang]
        return lambda value: words.get(value, value)
    if field.kind == "str_list":
        return _joined(_JOIN[lang])
    return None


def _joined(separator: str) -> Convert:
    """A list as one cell (甲、乙), unless an item holds a separator: then JSON, as ever."""

    def convert(value: Any) -> Any:
        if not isinstance(value, list) or not value:
            return value
        items = [str(v) for v in value]
        if items[0][:1] in "[{" or any(not s.strip() or _SEPARATORS.search(s) for s in items):
            return value
        return separator.join(items)

    return convert


def _times(zone: ZoneInfo, lang: str) -> Convert:
    """Stored UTC times (``2025-01-10T02:00:05Z``) in the city's zone.

    The zone's offset is looked up once per hour of UTC (offsets change on the hour at
    most), so a time costs a parse and an addition, and memory stays flat however many
    distinct times an export holds.
    """
    offsets: dict[str, tuple[timedelta, str]] = {}

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            moment = datetime.fromisoformat(value[:19])
        except ValueError:
            return value
        hour = value[:13]
        found = offsets.get(hour)
        if found is None:
            offset = local(moment, zone).utcoffset() or timedelta(0)
            found = offsets[hour] = (offset, local(moment, zone).isoformat()[19:])
        at = moment + found[0]
        return at.isoformat() + found[1] if lang == MACHINE else at.isoformat(sep=" ")

    return convert
