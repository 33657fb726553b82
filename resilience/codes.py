"""Code lists from DOMAIN.md (CJJ 61-2017 appendices B/C, shelters, flood points, roles).

Values are English enum words (the API's words); each code also carries its Chinese and
English labels and, where the standard gives them, its CJJ 61 letter code, numeric code and
colour, so importers can accept any of those spellings and the pages can show the right label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Code:
    """One allowed value of a code list."""

    value: str
    zh: str
    en: str
    cjj: str | None = None
    colour: str | None = None
    parent: str | None = None
    also: tuple[str, ...] = ()  # other words survey tables use for it (钢筋混凝土, 砼 …)
    number: str | None = None  # CJJ 61 numeric code: 大类 "2", 小类 "201" (see pipeline_type)

    def label(self, locale: str) -> str:
        """The label for a locale ("zh…" gives Chinese, anything else English)."""
        return self.zh if locale.lower().startswith("zh") else self.en


class CodeList:
    """An ordered code list, looked up by value, CJJ code or Chinese/English label."""

    def __init__(self, name: str, codes: list[Code]):
        self.name = name
        self.codes = codes
        self._by_value = {c.value: c for c in codes}
        self._aliases: dict[str, str] = {}
        for c in codes:
            for alias in (c.value, c.zh, c.en, c.cjj, c.number, *c.also):
                if alias:
                    self._aliases.setdefault(alias.strip().lower(), c.value)

    def __contains__(self, value: object) -> bool:
        # Only text is a code: a JSON list or object asked about is simply not one (no TypeError).
        return isinstance(value, str) and value in self._by_value

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def values(self) -> list[str]:
        """The allowed enum words, in order."""
        return [c.value for c in self.codes]

    def get(self, value: str) -> Code | None:
        """The code for an enum word, or None."""
        return self._by_value.get(value)

    def normalise(self, raw: str) -> str | None:
        """Map an enum word, CJJ code or label to the enum word; None if unknown."""
        return self._aliases.get(str(raw).strip().lower())

    def children(self, parent: str) -> list[Code]:
        """The codes under a parent code (sub-categories of a category)."""
        return [c for c in self.codes if c.parent == parent]


C = Code

# CJJ 61-2017 Appendix B: 大类 with digit, colour.
PIPELINE_CATEGORIES = CodeList("pipeline_category", [
    C("water_supply", "给水", "Water supply", "JS", "#00FFFF", number="1"),
    C("drainage", "排水", "Drainage", "PS", "#4C3926", number="2"),
    C("gas", "燃气", "Gas", "RQ", "#FF00FF", number="3"),
    C("heat", "热力", "Heat", "RL", "#FF8000", number="4"),
    C("power", "电力", "Power", "DL", "#FF0000", number="5"),
    C("telecom", "通信", "Telecom", "TX", "#00FF00", number="6"),
    C("industrial", "工业", "Industrial", "GY", "#000000", number="7"),
    C("other", "其他", "Other", "QT", "#6600CC", number="8"),
])

# CJJ 61-2017 Appendix B: 小类, parent 大类.
PIPELINE_SUBCATEGORIES = CodeList("pipeline_subcategory", [
    C("raw_water", "原水", "Raw water", "JY", parent="water_supply", number="101"),
    C("transmission", "输水", "Transmission", "SS", parent="water_supply", number="102"),
    C("reclaimed", "中水", "Reclaimed water", "ZS", parent="water_supply", number="103"),
    C("distribution", "配水", "Distribution", "JP", parent="water_supply", number="104"),
    C("direct_drinking", "直饮水", "Direct drinking water", "JZ", parent="water_supply", number="105"),
    C("fire", "消防水", "Fire water", "XS", parent="water_supply", number="106"),
    C("irrigation", "绿化水", "Irrigation water", "LS", parent="water_supply", number="107"),
    C("circulating", "循环水", "Circulating water", "JH", parent="water_supply", number="108"),
    C("stormwater", "雨水", "Stormwater", "YS", parent="drainage", number="201"),
    C("sewage", "污水", "Sewage", "WS", parent="drainage", number="202"),
    C("combined", "雨污合流", "Combined sewer", "HS", parent="drainage", number="203",
      also=("合流",)),
    C("coal_gas", "煤气", "Coal gas", "MQ", parent="gas", number="301"),
    C("lpg", "液化气", "Liquefied petroleum gas", "YH", parent="gas", number="302"),
    C("natural_gas", "天然气", "Natural gas", "TR", parent="gas", number="303"),
    C("hot_water", "热水", "Hot water", "RS", parent="heat", number="401"),
    C("steam", "蒸汽", "Steam", "ZQ", parent="heat", number="402"),
    C("power_supply", "供电", "Power supply", "GD", parent="power", number="501"),
    C("street_lighting", "路灯", "Street lighting", "LD", parent="power", number="502"),
    C("traffic_signal", "交通信号", "Traffic signal", "XH", parent="power", number="503"),
    C("trolley", "电车", "Trolley bus", "DC", parent="power", number="504"),
    C("advertising", "广告", "Advertising", "GG", parent="power", number="505"),
    C("telephone", "电话", "Telephone", "DH", parent="telecom", number="601"),
    C("cable_tv", "有线电视", "Cable TV", "DS", parent="telecom", number="602"),
    C("data_network", "信息网络", "Data network", "XX", parent="telecom", number="603"),
    C("broadcast", "广播", "Broadcast", "GB", parent="telecom", number="604"),
    C("hydrogen", "氢气", "Hydrogen", "QQ", parent="industrial", number="701"),
    C("oxygen", "氧气", "Oxygen", "YQ", parent="industrial", number="702"),
    C("acetylene", "乙炔", "Acetylene", "GQ", parent="industrial", number="703"),
    C("ethylene", "乙烯", "Ethylene", "YX", parent="industrial", number="704"),
    C("benzene", "苯", "Benzene", "BQ", parent="industrial", number="705"),
    C("chlorine", "氯气", "Chlorine", "LQ", parent="industrial", number="706"),
    C("nitrogen", "氮气", "Nitrogen", "DQ", parent="industrial", number="707"),
    C("carbon_dioxide", "二氧化碳", "Carbon dioxide", "EY", parent="industrial", number="708"),
    C("ammonia", "氨气", "Ammonia", "AQ", parent="industrial", number="709"),
    C("toluene", "甲苯", "Toluene", "JB", parent="industrial", number="710"),
    C("utility_trench", "综合管沟", "Utility trench", "ZH", "#000000", parent="other", number="801"),
    C("unknown", "不明管线", "Unknown line", "BM", "#6600CC", parent="other",
      number="802", also=("不明",)),
])

# CJJ 61-2017 Appendix B numbers each 大类 with a digit (排水 2) and each 小类 with two digits
# under it (雨水 01). The registry writes a 小类's numeric code as three digits, 大类 digit
# first ("201", ``Code.number``), and reads that, the number 201, and "2-01", "2 01", "2.01",
# "2_01", "2/01", "2-1"; a bare "01" or 1 only for a 小类 whose row names its 大类. A number
# with a fractional part ("7.1" from a spreadsheet cell) is refused: 7-01 or 7-10?
_NUMBER = re.compile(r"^([1-8])(?:\.?(\d{2})|\s*[-–—－_/\s]\s*(\d{1,2}))$")
_SUFFIXES = ("管线", "管道", "管")  # 雨水管, 燃气管道, 电力管线


def pipeline_type(raw: object, category: str | None = None) -> tuple[str, str | None] | None:
    """A 大类 or 小类 in any CJJ 61 spelling as (category, sub-category or None); None if unknown.

    Spellings: the enum word, Chinese name, English label, letter code (JS, YS) or numeric
    code (2, 201, 2-01) of either level. ``category`` (an enum word) lets a bare two-digit
    小类 number ("01", 1) name the 小类 under it.
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None
    if isinstance(raw, float):
        raw = int(raw) if raw.is_integer() else repr(raw)
    return _pipeline_type(str(raw).strip(), category)


@lru_cache(maxsize=4096)
def _pipeline_type(text: str, category: str | None) -> tuple[str, str | None] | None:
    parent = PIPELINE_CATEGORIES.get(category) if category else None
    if parent is not None and parent.number and text.isdigit() and len(text) <= 2:
        text = parent.number + text.zfill(2)
    match = _NUMBER.match(text)
    if match:
        text = match.group(1) + (match.group(2) or match.group(3)).zfill(2)
    bare = [text[:-len(s)] for s in _SUFFIXES if text.endswith(s) and len(text) > len(s)]
    for candidate in (text, *bare):
        sub = PIPELINE_SUBCATEGORIES.get(PIPELINE_SUBCATEGORIES.normalise(candidate) or "")
        if sub is not None and sub.parent is not None:
            return sub.parent, sub.value
        main = PIPELINE_CATEGORIES.normalise(candidate)
        if main is not None:
            return main, None
    return None


# CJJ 61-2017 C.0.1.
MATERIALS = CodeList("material", [
    C("cast_iron", "铸铁", "Cast iron", "ZT", also=("灰口铸铁", "铸铁管", "灰铁")),
    C("steel", "钢", "Steel", "G", also=("钢管", "镀锌钢", "镀锌钢管", "螺旋钢管", "无缝钢管",
                                         "焊接钢管", "不锈钢")),
    C("concrete", "混凝土", "Concrete", "T", also=("钢筋混凝土", "砼", "钢砼", "素混凝土", "RC",
                                                 "混凝土管", "钢筋混凝土管")),
    C("pe", "聚乙烯", "Polyethylene (PE)", "PE", also=("HDPE", "MDPE", "PE管", "聚乙烯管",
                                                      "高密度聚乙烯")),
    C("pvc", "聚氯乙烯", "PVC", "PVC", also=("UPVC", "PVC-U", "U-PVC", "硬聚氯乙烯", "PVC管")),
    C("grp", "玻璃钢", "Glass-reinforced plastic", "BLG"),
    C("ductile_iron", "球墨铸铁", "Ductile iron", "QM", also=("球铁", "球墨铸铁管", "DI")),
    C("masonry", "砖石", "Masonry", "ZS"),
    C("brick", "砖", "Brick", "Z"),
    C("stone", "石", "Stone", "S"),
    C("asbestos", "石棉", "Asbestos cement", "SM"),
    C("ceramic", "陶瓷", "Ceramic", "TC"),
    C("copper", "铜", "Copper", "TZ", also=("铜芯", "铜缆")),
    C("acsr", "钢芯铝绞线", "Steel-cored aluminium", "VL"),
    C("optical_fibre", "光纤", "Optical fibre", "GX", also=("光缆",)),
])

# CJJ 61-2017 C.0.2.
BURIAL_METHODS = CodeList("burial_method", [
    C("direct", "直埋", "Direct burial", "ZM"),
    C("conduit", "管埋", "In conduit", "GM"),
    C("duct_bank", "管块", "Duct bank", "GK"),
    C("trench", "管沟", "Trench", "GG"),
    C("overhead", "架空", "Overhead", "JK"),
    C("surface", "地面", "On the surface", "DM"),
    C("rack", "上架", "On a rack", "SJ"),
    C("small_passage", "小通道", "Small passage", "XTD"),
    C("utility_tunnel", "综合管廊(沟)", "Utility tunnel", "ZH"),
    C("civil_defence", "人防", "Civil-defence works", "RF"),
    C("in_well", "井内连线", "Inside a well", "JN"),
    C("trenchless", "顶管/非开挖", "Pipe jacking / trenchless", "DG"),
    C("underwater", "水下", "Underwater", "SX"),
])

# CJJ 61 C.0.3 lists 在用/废弃/空管/其他; the registry also tracks planned and removed lines.
PIPELINE_STATUSES = CodeList("status", [
    C("in_service", "在用", "In service", "0"),
    C("abandoned", "废弃", "Abandoned", "1"),
    C("empty", "空管", "Empty duct", "2"),
    C("planned", "规划", "Planned"),
    C("removed", "已拆除", "Removed"),
    C("other", "其他", "Other", "3"),
])

# Gas pressure classes, GB 50028 (MPa, lower bound exclusive except 中压B), DOMAIN.md §6.
GAS_PRESSURE_CLASSES = CodeList("pressure_class", [
    C("high_a", "高压A", "High pressure A"),
    C("high_b", "高压B", "High pressure B"),
    C("sub_high_a", "次高压A", "Sub-high pressure A"),
    C("sub_high_b", "次高压B", "Sub-high pressure B"),
    C("medium_a", "中压A", "Medium pressure A"),
    C("medium_b", "中压B", "Medium pressure B"),
    C("low", "低压", "Low pressure"),
])

# Condition grades (1 best … 4 worst), after the four structural grades of CJJ 181.
CONDITION_GRADES = CodeList("condition_grade", [
    C("1", "良好", "Good"),
    C("2", "一般", "Fair"),
    C("3", "较差", "Poor"),
    C("4", "差", "Bad"),
])

NETWORK_POINT_KINDS = CodeList("kind", [
    C("feature_point", "特征点", "Feature point"),
    C("junction", "三通/四通", "Junction"),
    C("bend", "转折点", "Bend"),
    C("valve", "阀门", "Valve"),
    C("manhole", "检查井", "Manhole / well"),
    C("inlet", "雨水口", "Gully inlet"),
    C("outfall", "出水口", "Outfall"),
    C("hydrant", "消火栓", "Hydrant"),
    C("meter", "水表/流量计", "Meter"),
    C("regulator", "调压箱", "Pressure regulator"),
    C("pump", "泵站", "Pump"),
    C("transformer", "变压器", "Transformer"),
    C("cable_joint", "接线箱", "Cable joint box"),
    C("end_cap", "盲板/终点", "End cap"),
    C("other", "其他", "Other"),
])

TUNNEL_TYPES = CodeList("tunnel_type", [
    C("trunk", "干线综合管廊", "Trunk tunnel"),
    C("branch", "支线综合管廊", "Branch tunnel"),
    C("cable", "缆线管廊", "Cable trench tunnel"),
])

CABIN_USES = CodeList("use", [
    C("integrated", "综合舱", "Integrated cabin"),
    C("power", "电力舱", "Power cabin"),
    C("gas", "燃气舱", "Gas cabin"),
    C("water", "水信舱", "Water and telecom cabin"),
    C("heat", "热力舱", "Heat cabin"),
    C("drainage", "污水舱", "Sewage cabin"),
    C("telecom", "通信舱", "Telecom cabin"),
])

TUNNEL_NODE_KINDS = CodeList("kind", [
    C("access", "人员出入口", "Personnel access"),
    C("ventilation", "通风口", "Ventilation opening"),
    C("material_entry", "投料口", "Material entry"),
    C("branch", "管线分支口", "Pipeline branch opening"),
    C("monitoring", "监测点", "Monitoring point"),
])

ASSET_STATUSES = CodeList("status", [
    C("in_service", "在用", "In service"),
    C("under_construction", "在建", "Under construction"),
    C("planned", "规划", "Planned"),
    C("abandoned", "废弃", "Abandoned"),
])

SHELTER_KINDS = CodeList("kind", [
    C("emergency_shelter", "应急避难场所", "Emergency shelter"),
    C("civil_defence", "人防工程", "Civil-defence works"),
])

# GB 51143: 紧急 / 固定 (短期, 中期, 长期) / 中心; per-capita minimum m² (DOMAIN.md §7, [I]).
SHELTER_CLASSES = CodeList("shelter_class", [
    C("emergency", "紧急避难场所", "Emergency (transit)"),
    C("fixed_short", "短期固定避难场所", "Fixed, short term"),
    C("fixed_medium", "中期固定避难场所", "Fixed, medium term"),
    C("fixed_long", "长期固定避难场所", "Fixed, long term"),
    C("central", "中心避难场所", "Central"),
])
SHELTER_AREA_PER_PERSON = {
    "emergency": 0.5, "fixed_short": 2.0, "fixed_medium": 3.0, "fixed_long": 4.5, "central": 4.5,
}

SHELTER_TIERS = CodeList("tier", [
    C("province", "省级", "Province"),
    C("city", "市级", "City"),
    C("county", "县级", "County"),
    C("township", "乡镇(街道)级", "Township / street"),
    C("village", "村(社区)级", "Village / community"),
])

SHELTER_SITE_TYPES = CodeList("site_type", [
    C("outdoor", "场地型", "Outdoor site"),
    C("indoor", "场所型", "Indoor building"),
])

FLOOD_CAUSES = CodeList("cause", [
    C("low_lying", "低洼地", "Low-lying ground"),
    C("underpass", "下凹立交", "Sunken underpass"),
    C("sunken_tunnel", "下沉隧道", "Sunken road tunnel"),
    C("metro_entrance", "地铁/地下空间出入口", "Metro or underground entrance"),
    C("drainage_capacity", "排水能力不足", "Insufficient drainage capacity"),
    C("outfall_backflow", "河道顶托", "River backwater at outfall"),
    C("blocked_inlets", "雨水口堵塞", "Blocked inlets"),
    C("other", "其他", "Other"),
])

FLOOD_POINT_STATUSES = CodeList("status", [
    C("active", "未消除", "Active"),
    C("eliminated", "已消除", "Eliminated"),
])

DIVISION_LEVELS = CodeList("level", [
    C("province", "省", "Province"),
    C("city", "设区市", "City"),
    C("county", "县(市、区)", "County / district"),
    C("township", "乡镇(街道)", "Township / street"),
])

ROLES = CodeList("role", [
    C("admin", "管理员", "Administrator"),
    C("engineer", "工程师", "Engineer"),
    C("emergency_manager", "应急管理", "Emergency manager"),
    C("inspector", "巡检员", "Inspector"),
    C("viewer", "查看者", "Viewer"),
])
EDITING_ROLES = frozenset({"admin", "engineer"})
