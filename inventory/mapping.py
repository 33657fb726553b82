"""Column mapping: the registry's names, CJJ 61 survey headers in Chinese, or a mapping file.

Survey tables name their columns 管线类型, 材质, 管径, 起点埋深…; utilities' own exports use
other words. Headers are matched after normalising case, spaces, full-width brackets and a
trailing unit, so 管径(mm), 管径（毫米） and ``DIAMETER_MM`` all find ``diameter_mm``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventory.assets import CollectionSpec
from inventory.formats.shortnames import expand
from inventory.pipelines import check_mapped_types
from inventory.references import number_label, numbers
from resilience import codes
from resilience.errors import InvalidInput, Problem

# Built-in aliases: header (normalised) -> field. Field names themselves always match.
ALIASES: dict[str, str] = {
    # identity and provenance
    "名称": "name", "管线名称": "name", "设施名称": "name", "场所名称": "name", "易涝点名称": "name",
    "避难场所名称": "name", "应急避难场所名称": "name",
    "编号": "external_id", "管线编号": "external_id", "管段编号": "external_id",
    "物探点号": "external_id", "点号": "external_id", "外业点号": "external_id",
    "图上点号": "external_id", "设施编号": "external_id", "id": "external_id",
    "位置": "address", "地址": "address", "所在道路": "address", "道路名称": "address",
    "数据来源": "data_source", "来源": "data_source",
    "普查日期": "survey_date", "探测日期": "survey_date", "调查日期": "survey_date",
    "备注": "remarks", "说明": "remarks",
    "行政区划": "division_code", "区划代码": "division_code", "行政区划代码": "division_code",
    # pipelines (CJJ 61 §3.0.2)
    "管线类型": "category", "管线大类": "category", "大类": "category", "管线类别": "category",
    "管类": "category", "类别": "category",
    "管线小类": "subcategory", "小类": "subcategory",
    "材质": "material", "管材": "material", "材料": "material",
    "管径": "diameter_mm", "直径": "diameter_mm", "管径mm": "diameter_mm",
    "断面宽": "width_mm", "宽": "width_mm", "断面高": "height_mm", "高": "height_mm",
    "压力": "pressure_mpa", "压力值": "pressure_mpa", "压力级制": "pressure_class",
    "压力等级": "pressure_class", "电压": "voltage_kv", "电压等级": "voltage_kv",
    "电缆条数": "cable_count", "总孔数": "cable_count",
    "起点埋深": "start_depth_m", "终点埋深": "end_depth_m",
    "埋设方式": "burial_method", "敷设方式": "burial_method",
    "建设年代": "build_year", "建设年份": "build_year", "敷设年代": "build_year",
    "埋设年代": "build_year", "建成年份": "build_year",
    "权属单位": "owner", "权属": "owner", "产权单位": "owner",
    "运维单位": "operator", "管理单位": "operator", "养护单位": "operator",
    "使用状态": "status", "状态": "status", "运行状态": "status",
    "状况等级": "condition_grade", "缺陷等级": "condition_grade",
    # A line table names its ends by point number (物探点号), resolved in inventory.references.
    "起点号": "start_point_no", "终点号": "end_point_no", "起点点号": "start_point_no",
    "终点点号": "end_point_no",
    # network points
    "特征": "kind", "附属物": "kind", "点类型": "kind", "特征点": "kind",
    "地面高程": "ground_elevation_m", "高程": "ground_elevation_m", "埋深": "depth_m",
    # tunnels, shelters, flood points
    "管廊类型": "tunnel_type", "廊体类型": "tunnel_type",
    "避难场所类型": "kind", "场所类型": "kind", "避难场所类别": "shelter_class",
    "类型": "kind", "级别": "tier", "层级": "tier", "场地类型": "site_type",
    "有效避难面积": "effective_area_m2", "有效面积": "effective_area_m2",
    "容纳人数": "capacity_persons", "可容纳人数": "capacity_persons",
    "配套设施": "facilities", "出入口数": "entrances", "管理部门": "managing_unit",
    "联系电话": "contact_phone", "是否开放": "is_open",
    "成因": "cause", "积水原因": "cause", "汇水分区": "catchment",
    "消除日期": "eliminated_on", "致涝雨强": "trigger_rainfall_mm_h",
    "责任单位": "responsible_unit", "责任人": "contact_person", "一点一策": "plan",
    "泵车数": "pumps", "泵数": "pumps",
}

_UNIT = re.compile(r"[（(\[【].*?[）)\]】]$")
_SPACE = re.compile(r"[\s_\-—/]+")


def normalise(header: str) -> str:
    """A header reduced for matching: lower case, no unit suffix, no spaces or separators."""
    text = header.strip().lower()
    text = _UNIT.sub("", text)
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class Mapping:
    """How a file's columns and values become a collection's fields."""

    columns: dict[str, str]  # file column -> field
    unmapped: list[str]  # columns the registry does not use (reported, not rejected)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> raw -> code
    lists: frozenset[str] = frozenset()  # fields and nested lists a cell may carry as text

    def apply(self, props: dict[str, Any]) -> dict[str, Any]:
        """A row's values under the registry's field names, with mapped code values."""
        out: dict[str, Any] = {}
        for column, value in props.items():
            name = self.columns.get(column)
            if name is None:
                continue
            if isinstance(value, str):
                if name in self.values:
                    value = self.values[name].get(value.strip(), value)
                elif name in self.lists:
                    value = as_list(value)
            out[name] = value
        return out


def as_list(text: str) -> Any:
    """A list or nested records written into one cell: JSON, or items split on ; , 、 ，.

    Flat formats (CSV, Excel, GeoPackage, Shapefile) carry a tunnel's cabins or a shelter's
    facilities as text; the registry's own exports write JSON.
    """
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[0] in "[{":
        try:
            return json.loads(stripped)
        except ValueError:
            return text  # validation says it is not a list
    return [part.strip() for part in _ITEMS.split(stripped) if part.strip()]


_ITEMS = re.compile(r"[;,，、；]")


def load_mapping_file(path: str | Path) -> dict[str, Any]:
    """A mapping file: JSON ``{"columns": {header: field}, "values": {field: {raw: code}}}``."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise InvalidInput("bad mapping file", [Problem("mapping", "invalid_mapping_file",
                                                        {"reason": str(error)[:120]})]) from error
    if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict) \
            or not isinstance(data.get("values", {}), dict):
        raise InvalidInput("bad mapping file", [Problem("mapping", "invalid_mapping_file",
                                                        {"reason": "expected columns/values"})])
    return data


def _labels(spec: CollectionSpec, fields: set[str]) -> dict[str, str]:
    """The collection's own headings, normalised: its fields' labels (评价方法, "Hazard class"),
    its nested lists' (舱室, "Waterlogging events") and its numbers' (起点点号), as the pages and
    the exports write them, so a file exported in either language imports back."""
    out = {normalise(label): f.name for f in spec.fields if f.name in fields
           for label in (f.zh, f.en)}
    out.update({normalise(label): c.name for c in spec.children for label in (c.zh, c.en)})
    out.update({normalise(label): name for name in numbers(spec)
                for lang in ("zh", "en") if (label := number_label(spec, name, lang))})
    return out


def build(spec: CollectionSpec, columns: list[str],
          overrides: dict[str, Any] | None = None) -> Mapping:
    """Match a file's columns to a collection's fields; a mapping file's words come first."""
    overrides = overrides or {}
    explicit = {normalise(k): v for k, v in (overrides.get("columns") or {}).items()}
    fields = {f.name for f in spec.fields if not f.readonly}
    fields |= {c.name for c in spec.children} | set(numbers(spec))
    problems = [Problem("mapping", "unknown_field", {"value": v, "collection": spec.name})
                for v in explicit.values() if v not in fields]
    if problems:
        raise InvalidInput("bad mapping", problems)
    by_key = {normalise(f): f for f in fields}  # "diameter_mm", "Diameter MM" → diameter_mm
    mapped: dict[str, str] = {}
    taken: set[str] = set()
    labels = _labels(spec, fields)
    # Stronger matches first: the mapping file, then field names, then shapefile short
    # names, then labels, then aliases, so an ``id`` column never takes ``external_id``
    # from a column that is called that.
    matchers = (lambda c: explicit.get(normalise(c)), lambda c: by_key.get(normalise(c)),
                lambda c: expand(spec, c), lambda c: labels.get(normalise(c)),
                lambda c: ALIASES.get(normalise(c)))
    for match in matchers:
        for column in columns:
            if column in mapped:
                continue
            name = match(column)
            if name in fields and name not in taken:
                mapped[column] = name
                taken.add(name)
    unmapped = [c for c in columns if c not in mapped]
    mapped = {c: mapped[c] for c in columns if c in mapped}
    values = mapped_values(spec, overrides)
    lists = frozenset(f.name for f in spec.fields if f.kind in ("str_list", "int_list")) | {
        c.name for c in spec.children}
    return Mapping(mapped, unmapped, values, lists)


def mapped_values(spec: CollectionSpec, overrides: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A mapping file's ``values`` (field -> the file's word -> code), refused whole if wrong.

    The CJJ 61 types are checked up front (``pipelines.check_mapped_types``): a word mapped
    to an unknown type or to a 小类 of the wrong 大类 would fail every row that holds it.
    """
    values = {k: {str(a): str(b) for a, b in v.items()}
              for k, v in (overrides.get("values") or {}).items() if isinstance(v, dict)}
    typed = {k: v for k, v in values.items()
             if (f := spec.field(k)) is not None
             and f.codes in (codes.PIPELINE_CATEGORIES, codes.PIPELINE_SUBCATEGORIES)}
    problems = check_mapped_types(typed)
    if problems:
        raise InvalidInput("bad mapping values", problems)
    return values
