"""Code lists of the risk engine: hazard kinds, risk-point categories, methods, result units."""

from __future__ import annotations

from resilience.codes import EDITING_ROLES, CodeList
from resilience.codes import Code as C
from risk.levels import FIVE_COLOUR, FOUR_COLOUR

# Hazard zones and risk points are the emergency manager's domain as much as the engineers'.
RISK_EDITING_ROLES = EDITING_ROLES | {"emergency_manager"}

# DOMAIN.md §2: Zhejiang's hazards; "other" keeps further kinds as data.
HAZARD_KINDS = CodeList("kind", [
    C("flood", "洪水淹没区", "River flood", also=("洪水", "洪涝")),
    C("waterlogging", "城市内涝风险区", "Urban waterlogging", also=("内涝",)),
    C("geological_susceptibility", "地质灾害易发区", "Geological hazard susceptibility",
      also=("地质灾害易发区",)),
    C("geological_prevention", "地质灾害风险防范区", "Geological hazard prevention zone",
      also=("风险防范区",)),
    C("seismic", "地震烈度区", "Seismic intensity", also=("地震",)),
    C("typhoon_surge", "台风风暴潮影响区", "Typhoon and storm surge", also=("台风", "风暴潮")),
    C("other", "其他", "Other"),
])

# 1 lowest … 5 highest; the class normalises to H = class / 5 (DOMAIN.md §2, [I]).
HAZARD_CLASSES = CodeList("hazard_class", [
    C("1", "极低", "Very low"), C("2", "低", "Low"), C("3", "中", "Medium"),
    C("4", "高", "High"), C("5", "极高", "Very high"),
])

RISK_POINT_CATEGORIES = CodeList("category", [
    C("gas_pipeline", "燃气管线", "Gas pipeline"),
    C("tunnel_cabin", "管廊舱室", "Utility-tunnel cabin"),
    C("ageing_pipeline", "老化管线", "Ageing or poor pipeline"),
    C("hidden_hazard", "事故隐患", "Open hidden hazard"),
    C("construction", "施工作业", "Construction work"),
    C("hazardous_materials", "危险物品", "Hazardous materials"),
    C("other", "其他", "Other"),
])

RISK_METHODS = CodeList("method", [
    C("lec", "作业条件危险性评价法(LEC)", "LEC (D = L × E × C)"),
    C("ls", "风险矩阵法(LS)", "Risk matrix (R = L × S)"),
])

RISK_POINT_SOURCES = CodeList("source", [
    C("manual", "人工录入", "Entered by hand"),
    C("generated", "系统生成", "Generated from the registry"),
])

# The colour levels as code lists, read from the one table of levels (risk.levels).
FOUR_LEVELS = CodeList("level", [C(v.code, v.zh, v.en, colour=v.colour) for v in FOUR_COLOUR])
FIVE_LEVELS = CodeList("level", [C(v.code, v.zh, v.en, colour=v.colour) for v in FIVE_COLOUR])

RESULT_UNITS = CodeList("unit", [
    C("cell", "网格", "Grid cell"),
    C("asset", "设施", "Asset"),
    C("division", "行政区划", "Division"),
    C("tunnel", "管廊", "Utility tunnel"),
])
