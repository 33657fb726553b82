"""The shipped checklist templates: what a patrol in a Chinese city actually checks.

Five templates (gas-pipeline patrol, drainage and flood points before the rainy season,
utility-tunnel cabin inspection, shelter readiness, manhole covers), stored once as version 1
by ``ensure_presets``; an edit through the API makes version 2 and leaves these as they were.
Defects suggest a hidden-hazard category of ``hazards.HAZARD_CATEGORIES``.
Items follow the practice of the relevant rules (CJJ 51 城镇燃气设施运行、维护和抢修安全技术规程,
GB 51354 城市地下综合管廊运行维护及安全技术标准, GB 21734 应急避难场所 场址及配套设施,
CJJ 68 城镇排水管渠与泵站运行、维护及安全技术规程); ranges are working values **[I]**.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.inspections.checklists import ChecklistTemplate


def yes_no(code: str, zh: str, en: str, *, defect_when: bool = False, category: str | None = None,
           grade: str = "general", required: bool = True) -> dict[str, Any]:
    """A yes/no item; ``defect_when`` is the answer that is a defect."""
    return {"code": code, "kind": "yes_no", "zh": zh, "en": en, "required": required,
            "defect_when": defect_when, "hazard": {"category": category, "grade": grade}}


def number(code: str, zh: str, en: str, unit: str, lo: float, hi: float, ok_lo: float | None,
           ok_hi: float | None, *, category: str | None = None, grade: str = "general",
           required: bool = True) -> dict[str, Any]:
    """A measured value: allowed range [lo, hi], acceptable range [ok_lo, ok_hi]."""
    return {"code": code, "kind": "number", "zh": zh, "en": en, "unit": unit, "min": lo,
            "max": hi, "ok_min": ok_lo, "ok_max": ok_hi, "required": required,
            "hazard": {"category": category, "grade": grade}}


def choice(code: str, zh: str, en: str, options: list[tuple[str, str, str, bool]], *,
           category: str | None = None, grade: str = "general") -> dict[str, Any]:
    """One of a list of options; the flagged ones are defects."""
    return {"code": code, "kind": "choice", "zh": zh, "en": en, "required": True,
            "options": [{"code": c, "zh": z, "en": e, "defect": d} for c, z, e, d in options],
            "hazard": {"category": category, "grade": grade}}


def text(code: str, zh: str, en: str) -> dict[str, Any]:
    """Free remarks (never a defect by itself)."""
    return {"code": code, "kind": "text", "zh": zh, "en": en, "required": False}


def photo(code: str, zh: str, en: str, *, required: bool = False) -> dict[str, Any]:
    """Photos of the site or of a defect."""
    return {"code": code, "kind": "photo", "zh": zh, "en": en, "required": required}


GOOD_FAIR_BAD = [("good", "完好", "Good", False), ("worn", "轻微破损", "Slightly damaged", False),
                 ("damaged", "破损/缺失", "Damaged or missing", True)]

GAS_PATROL: dict[str, Any] = {
    "code": "gas_pipeline_patrol", "name_zh": "燃气管线巡查", "name_en": "Gas-pipeline patrol",
    "applies_to": ["pipelines", "network-points"],
    "items": [
        choice("markers", "管线标志桩/警示牌完好", "Marker posts and warning signs intact",
               GOOD_FAIR_BAD, category="other"),
        yes_no("occupation", "沿线有无违章占压（建构筑物、堆物）",
               "Pipeline built over or covered (buildings, stockpiles)", defect_when=True,
               category="occupation", grade="major"),
        yes_no("third_party_works", "沿线有无第三方施工（开挖、打桩、顶管）",
               "Third-party works along the line (digging, piling, pipe jacking)",
               defect_when=True, category="third_party_damage"),
        yes_no("works_protected", "第三方施工已签安全保护协议并现场监护",
               "Third-party works covered by a protection agreement and watched on site",
               defect_when=False, category="third_party_damage", required=False),
        number("lel", "可燃气体检测浓度", "Combustible gas reading", "%LEL", 0, 100, 0, 1,
               category="leakage", grade="major"),
        yes_no("gas_smell", "有无燃气异味", "Smell of gas", defect_when=True,
               category="leakage", grade="major"),
        yes_no("valve_well_water", "阀井有无积水", "Water standing in the valve pit",
               defect_when=True, category="equipment_fault"),
        yes_no("valve_corrosion", "阀门有无锈蚀、渗漏", "Valve corroded or seeping",
               defect_when=True, category="corrosion"),
        choice("regulator", "调压设施运行状态", "Pressure-regulating station",
               [("normal", "运行正常", "Running normally", False),
                ("abnormal", "压力异常", "Pressure out of range", True),
                ("fault", "设备故障/停运", "Fault or stopped", True),
                ("none", "本段无调压设施", "None on this section", False)],
               category="equipment_fault", grade="major"),
        yes_no("ground_subsidence", "沿线地面有无塌陷、开裂", "Ground subsiding or cracked over the line",
               defect_when=True, category="road_collapse", grade="major"),
        photo("photos", "现场照片", "Site photos"),
        text("remarks", "备注", "Remarks"),
    ],
}

DRAINAGE_PRE_FLOOD: dict[str, Any] = {
    "code": "drainage_pre_flood", "name_zh": "汛前排水设施与易涝点检查",
    "name_en": "Drainage and flood points before the rainy season",
    "applies_to": ["flood-points", "pipelines", "network-points"],
    "items": [
        choice("inlets", "雨水口/检查井堵塞情况", "Gully inlets and manholes blocked",
               [("clear", "畅通", "Clear", False), ("partial", "部分堵塞", "Partly blocked", True),
                ("blocked", "严重堵塞", "Badly blocked", True)], category="waterlogging"),
        number("silt_depth", "管道淤积深度", "Silt depth in the sewer", "cm", 0, 300, 0, 20,
               category="waterlogging"),
        yes_no("pump_ready", "排涝泵站/移动泵车可用", "Drainage pumps or pump trucks ready",
               defect_when=False, category="equipment_fault", grade="major"),
        yes_no("gauge", "积水水尺/监测设备完好", "Depth gauge and monitoring working",
               defect_when=False, category="equipment_fault"),
        yes_no("warning_signs", "警示标志、围挡齐全", "Warning signs and barriers in place",
               defect_when=False, category="other"),
        yes_no("supplies", "应急物资（沙袋、挡水板、抽水泵）到位",
               "Emergency supplies (sandbags, flood boards, pumps) in place",
               defect_when=False, category="other"),
        yes_no("duty_roster", "值守人员与联系方式落实", "Standby crew and contacts named",
               defect_when=False, category="other"),
        yes_no("outfall_clear", "排放口无倒灌、无淤堵", "Outfall free of backflow and silt",
               defect_when=False, category="waterlogging"),
        photo("photos", "现场照片", "Site photos", required=True),
        text("remarks", "备注", "Remarks"),
    ],
}

TUNNEL_CABIN: dict[str, Any] = {
    "code": "tunnel_cabin", "name_zh": "综合管廊舱室巡检", "name_en": "Utility-tunnel cabin inspection",
    "applies_to": ["tunnels"],
    "items": [
        number("oxygen", "氧气浓度", "Oxygen", "%", 0, 30, 19.5, 23.5,
               category="other", grade="major"),
        number("methane", "甲烷浓度", "Methane", "%LEL", 0, 100, 0, 1,
               category="leakage", grade="major"),
        number("h2s", "硫化氢浓度", "Hydrogen sulphide", "mg/m³", 0, 100, 0, 10,
               category="other", grade="major"),
        number("temperature", "舱内温度", "Temperature", "°C", -20, 60, 0, 40,
               category="other"),
        number("humidity", "相对湿度", "Relative humidity", "%", 0, 100, 0, 90,
               category="other"),
        choice("seepage", "渗漏水情况", "Water seepage",
               [("none", "无渗漏", "None", False), ("damp", "湿渍", "Damp patches", False),
                ("drip", "滴漏", "Dripping", True), ("flow", "线流/涌水", "Running or gushing", True)],
               category="leakage"),
        yes_no("bracket_corrosion", "支架、吊架锈蚀", "Cable brackets and hangers corroded",
               defect_when=True, category="corrosion"),
        yes_no("fire_doors", "防火门、防火封堵完好", "Fire doors and fire stopping intact",
               defect_when=False, category="equipment_fault", grade="major"),
        yes_no("ventilation", "通风设备运行正常", "Ventilation running", defect_when=False,
               category="equipment_fault"),
        yes_no("sump_pump", "集水坑排水泵正常", "Sump pumps working", defect_when=False,
               category="equipment_fault"),
        yes_no("monitoring", "环境监控与报警系统正常", "Environmental monitoring and alarms working",
               defect_when=False, category="equipment_fault", grade="major"),
        yes_no("lighting", "照明、应急照明与疏散指示正常", "Lighting, emergency lights and exit signs working",
               defect_when=False, category="equipment_fault"),
        photo("photos", "现场照片", "Site photos"),
        text("remarks", "备注", "Remarks"),
    ],
}

SHELTER_READINESS: dict[str, Any] = {
    "code": "shelter_readiness", "name_zh": "应急避难场所完好性检查",
    "name_en": "Emergency shelter readiness",
    "applies_to": ["shelters"],
    "items": [
        choice("signs", "标识标牌（场所标志、指示牌、功能分区图）", "Shelter signs, direction signs and site plan",
               GOOD_FAIR_BAD, category="other"),
        yes_no("entrances_clear", "出入口及疏散通道畅通", "Entrances and escape routes clear",
               defect_when=False, category="occupation", grade="major"),
        yes_no("water", "应急供水设施可用", "Emergency water supply usable", defect_when=False,
               category="equipment_fault"),
        yes_no("power", "应急供电/照明可用", "Emergency power and lighting usable",
               defect_when=False, category="equipment_fault"),
        yes_no("toilets", "应急厕所可用", "Emergency toilets usable", defect_when=False,
               category="equipment_fault"),
        yes_no("supplies", "物资储备（帐篷、食品、药品）充足且在有效期",
               "Stores (tents, food, medicine) sufficient and in date", defect_when=False,
               category="other"),
        yes_no("broadcast", "应急广播可用", "Public-address system working", defect_when=False,
               category="equipment_fault"),
        yes_no("fire_equipment", "消防器材完好有效", "Fire extinguishers and hydrants in order",
               defect_when=False, category="equipment_fault"),
        yes_no("occupied", "场地有无被挤占、改作他用", "Site taken over for other uses",
               defect_when=True, category="occupation"),
        number("usable_area_share", "可用面积占有效面积比例", "Usable share of the effective area",
               "%", 0, 100, 90, 100, category="occupation", required=False),
        photo("photos", "现场照片", "Site photos"),
        text("remarks", "备注", "Remarks"),
    ],
}

MANHOLE_COVERS: dict[str, Any] = {
    "code": "manhole_covers", "name_zh": "窨井盖巡查", "name_en": "Manhole-cover patrol",
    "applies_to": ["network-points"],
    "items": [
        choice("cover", "井盖状况", "Cover",
               [("ok", "完好", "Intact", False), ("missing", "缺失", "Missing", True),
                ("broken", "破损", "Broken", True), ("loose", "松动/异响", "Loose or rattling", True),
                ("displaced", "错位", "Displaced", True)],
               category="cover_damaged", grade="major"),
        number("level_diff", "井盖与路面高差", "Height difference to the road", "mm", -200, 200,
               -15, 15, category="cover_damaged"),
        yes_no("sunk", "井周路面下沉、开裂", "Road around the cover sunk or cracked",
               defect_when=True, category="road_collapse"),
        yes_no("safety_net", "防坠网完好", "Anti-fall net in place", defect_when=False,
               category="cover_damaged", grade="major"),
        yes_no("owner_marked", "井盖权属标识清晰", "Owner marking legible", defect_when=False,
               category="other"),
        photo("photos", "现场照片", "Site photos", required=True),
        text("remarks", "备注", "Remarks"),
    ],
}

PRESETS: tuple[dict[str, Any], ...] = (
    GAS_PATROL, DRAINAGE_PRE_FLOOD, TUNNEL_CABIN, SHELTER_READINESS, MANHOLE_COVERS,
)


def ensure_presets(session: Session) -> list[ChecklistTemplate]:
    """Store each shipped template as version 1 once; returns the stored rows."""
    have = {c: t for c, t in session.execute(
        select(ChecklistTemplate.code, ChecklistTemplate).where(ChecklistTemplate.version == 1))}
    rows = []
    for preset in PRESETS:
        row = have.get(preset["code"])
        if row is None:
            row = ChecklistTemplate(code=preset["code"], version=1, name_zh=preset["name_zh"],
                                    name_en=preset["name_en"],
                                    applies_to=list(preset["applies_to"]),
                                    items=copy.deepcopy(preset["items"]),
                                    note="shipped preset", created_by="system")
            session.add(row)
        rows.append(row)
    session.flush()
    return rows
