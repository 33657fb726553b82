"""The shipped 城市体检 indicator set: working definitions **[I]** a city edits in its own rows.

建科〔2023〕75号 versions its sets by year, province and city (DOMAIN.md §5); the official 城区
list and 统计口径 are [?]. Every target here is a 参考值 (reference value) with its source
said: none is an official target, so each says whose convention it is. Rows added later reach a
year's stored set after its own rows (``catalogue.ensure_catalogue``).
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory import ageing

# Categories whose per-category shares the catalogue lists (CJJ 61-2017 大类 codes).
CATEGORIES = {"water_supply": ("给水", "water supply"), "drainage": ("排水", "drainage"),
              "gas": ("燃气", "gas"), "heat": ("热力", "heat"), "power": ("电力", "power"),
              "telecom": ("通信", "telecom")}
# Those the ageing table (国办发〔2022〕22号) covers; the others are never old by it.
AGEING_CATEGORIES = {c: CATEGORIES[c] for c in ageing.CATEGORIES}

# Service radius of a shelter per class, metres [I]: 紧急 500 m, 固定 2000 m (DOMAIN.md §7
# leaves the table open), 中心 5000 m.
SERVICE_RADIUS_M = {"emergency": 500.0, "fixed_short": 2000.0, "fixed_medium": 2000.0,
                    "fixed_long": 2000.0, "central": 5000.0}
# The built-up area's stand-in for coverage: cells of this size holding registered pipe [I].
FOOTPRINT_CELL_M = 250.0

# Lifelines whose monitoring coverage is entered (DOMAIN.md §5).
LIFELINES = {"gas": ("燃气", "gas"), "water_supply": ("供水", "water supply"),
             "drainage": ("排水", "drainage"), "bridge": ("桥梁", "bridges"),
             "tunnel": ("综合管廊", "utility tunnels")}

# Sources of the reference values (参考值): none is an official target [I]/[?].
HOUSE = ("本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）",
         "this registry's default reference value [I] (not an official target; a city sets its "
         "province's figure and source in the year's catalogue)")
ALL_CLEARED = ("工作定义 [I]：应全部消除/销号（非官方目标值）",
               "working definition [I]: all cleared (not an official figure)")
SHELTER_SOURCE = ("参考避难场所标准中的人均有效避难面积（GB 21734-2008、GB 51143-2015，条款待核实 [?]）",
                  "after the per-person effective area of the shelter standards (GB 21734-2008, "
                  "GB 51143-2015; clause to verify [?])")

PROFILE_AREA_ZH = ("城市概况（管理员据统计年鉴或国土调查按年填报）中本年的建成区面积，无则取最近上一年；"
                   "均无时密度类指标无数据、不作判定")
PROFILE_AREA_EN = ("the city profile's built-up area for the year (entered by an admin from the "
                   "statistical yearbook or land survey), else the latest earlier year's; without "
                   "it the densities have no data and are not judged")
PROFILE_POPULATION_ZH = ("城市概况（管理员据统计公报按年填报）中本年的常住人口，无则取最近上一年；"
                         "均无时人均类指标无数据、不作判定")
PROFILE_POPULATION_EN = ("the city profile's resident population for the year (entered by an "
                         "admin from the statistical bulletin), else the latest earlier year's; "
                         "without it the per-person figures have no data and are not judged")
AS_OF_ZH = "（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）"
AS_OF_EN = (" (as the registry stood at the end of the year: built or first recorded by then, "
            "not retired by then)")
AGEING_ZH = f"老化判定按 {ageing.SOURCE_ZH}（规则表版本 {ageing.VERSION}，按材质、年限、状况）"
AGEING_EN = f"old by {ageing.SOURCE_EN} (rule table {ageing.VERSION}: material, years, condition)"


@dataclass(frozen=True)
class Default:
    """A shipped catalogue row."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    source: str
    formula_zh: str
    formula_en: str
    direction: str | None = None
    target_op: str | None = None
    target_value: float | None = None
    problem_zh: str | None = None
    problem_en: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    level: str = "district"
    aspect_zh: str = "安全韧性"
    aspect_en: str = "Safety and resilience"
    inferred: bool = True
    target_source_zh: str | None = None
    target_source_en: str | None = None


def _old(cat: str, zh: str, en: str) -> Default:
    return Default(
        f"pipeline_over_age.{cat}", f"{zh}老化管线比例", f"Share of ageing {en} pipelines", "%",
        "computed",
        f"体检年末在用{zh}管线中按老化规则判定为老化的长度 ÷ 在用{zh}管线总长 × 100；{AGEING_ZH}；"
        "待核实、待评估者不计入分子" + AS_OF_ZH,
        f"length of in-service {en} pipelines old by the ageing rule ÷ total in-service {en} "
        f"length × 100; {AGEING_EN}; those to verify or assess are not in the numerator" + AS_OF_EN,
        "lower_better", "<=", 10.0,
        "{segments} 段" + zh + "管线（{over_km} km）老化，列入管线焕新候选",
        "{segments} " + en + " segments ({over_km} km) are old: renewal candidates",
        target_source_zh=HOUSE[0], target_source_en=HOUSE[1])


def _tunnel_share(cat: str, zh: str, en: str) -> Default:
    return Default(
        f"tunnel_share.{cat}", f"{zh}管线入廊率", f"Share of {en} lines in utility tunnels", "%",
        "computed", f"敷设于综合管廊舱室的在用{zh}管线长度 ÷ 在用{zh}管线总长 × 100" + AS_OF_ZH,
        f"length of in-service {en} pipelines carried in tunnel cabins ÷ total in-service {en} "
        "length × 100" + AS_OF_EN, "higher_better")


def _lifeline(key: str, zh: str, en: str) -> Default:
    return Default(
        f"lifeline_monitoring.{key}", f"{zh}生命线监测覆盖率",
        f"Lifeline monitoring coverage: {en}", "%", "entered",
        f"填报：纳入城市生命线安全工程在线监测的{zh}长度或设施数 ÷ 其总数 × 100（行业主管部门提供）",
        f"entered: {en} length or assets under the lifeline-safety online monitoring ÷ their total "
        "× 100 (from the responsible department)", "higher_better", min_value=0.0,
        max_value=100.0)


DEFAULTS: tuple[Default, ...] = (
    Default("built_up_area", "建成区面积", "Built-up area", "km²", "computed",
            PROFILE_AREA_ZH, PROFILE_AREA_EN, aspect_zh="基础数据", aspect_en="Base data",
            inferred=False),
    Default("population", "常住人口", "Resident population", "人", "computed",
            PROFILE_POPULATION_ZH, PROFILE_POPULATION_EN, aspect_zh="基础数据",
            aspect_en="Base data", inferred=False),
    Default("waterlogging_points", "内涝积水点数量", "Waterlogging points", "个", "computed",
            "体检年末辖区内未消除的易涝点个数（首次记录——首次积水、普查或登记日期中最早者——不晚于当年，"
            "当年末未消除、未退役）；当年末辖区尚无任何易涝点记录时为无数据（未普查），不作判定",
            "flood points in the division open at the end of the year (first recorded — first "
            "event, survey or entry, the earliest — by then, not eliminated or retired by then); "
            "no data (not surveyed) when the division had no flood point recorded by then",
            "lower_better", "<=", 0.0,
            "{open} 个易涝点未消除", "{open} flood points are not eliminated",
            target_source_zh=ALL_CLEARED[0], target_source_en=ALL_CLEARED[1]),
    Default("waterlogging_density", "内涝积水点密度", "Waterlogging point density", "个/km²",
            "computed", "内涝积水点数量 ÷ 建成区面积（城市概况；无则不作判定）",
            "waterlogging points ÷ built-up area (city profile; not judged without it)",
            "lower_better"),
    Default("waterlogging_elimination", "积水点消除比例", "Waterlogging points eliminated",
            "%", "computed",
            "年内消除（消除日期在体检年内）的积水点 ÷ 上年末仍未消除的积水点 × 100（各按当时的登记状态）",
            "points eliminated in the year (eliminated_on within it) ÷ points open at the end of "
            "the previous year × 100 (each as the registry stood then)",
            "higher_better", ">=", 60.0,
            "年初 {start_open} 个积水点中 {still_open} 个年内未消除",
            "{still_open} of the {start_open} points open on 1 January were not eliminated",
            target_source_zh=HOUSE[0], target_source_en=HOUSE[1]),
    Default("drainage_density", "排水管网密度", "Drainage network density", "km/km²",
            "computed",
            "体检年末在用排水管线长度（km）÷ 建成区面积（km²，城市概况；无则不作判定）",
            "in-service drainage pipeline length at the end of the year (km) ÷ built-up area "
            "(km², city profile; not judged without it)",
            "higher_better", ">=", 14.0,
            "排水管网密度 {value} km/km²（排水管线 {drainage_km} km）",
            "drainage density is {value} km/km² ({drainage_km} km of drains)",
            target_source_zh=HOUSE[0], target_source_en=HOUSE[1]),
    Default("pipeline_over_age.all", "老化管线比例（燃气、供水、排水、供热）",
            "Share of ageing pipelines (gas, water, drainage, heat)", "%", "computed",
            "燃气、供水、排水、供热在用管线中按老化规则判定为老化的长度之和 ÷ 这四类在用管线总长 × 100；"
            f"{AGEING_ZH}" + AS_OF_ZH,
            "Σ length of in-service gas, water, drainage and heat pipelines old by the ageing "
            f"rule ÷ their total in-service length × 100; {AGEING_EN}" + AS_OF_EN,
            "lower_better", "<=", 10.0,
            "{segments} 段管线（{over_km} km）老化，列入管线焕新候选",
            "{segments} segments ({over_km} km) are old: renewal candidates",
            target_source_zh=HOUSE[0], target_source_en=HOUSE[1]),
    *[_old(c, zh, en) for c, (zh, en) in AGEING_CATEGORIES.items()],
    Default("tunnel_length", "综合管廊长度", "Utility tunnel length", "km", "computed",
            "体检年末辖区内在用综合管廊长度之和", "Σ length of the division's utility tunnels in "
            "service at the end of the year", "higher_better"),
    Default("tunnel_share.all", "管线入廊率（全部）", "Share of lines in utility tunnels (all)",
            "%", "computed", "敷设于综合管廊舱室的在用管线长度 ÷ 在用管线总长 × 100" + AS_OF_ZH,
            "length of in-service pipelines carried in tunnel cabins ÷ total in-service length "
            "× 100" + AS_OF_EN, "higher_better"),
    *[_tunnel_share(c, zh, en) for c, (zh, en) in CATEGORIES.items()],
    Default("shelter_area_per_capita", "人均避难场所面积", "Shelter area per person",
            "m²/人", "computed",
            "体检年末辖区内开放的避难场所有效避难面积之和 ÷ 常住人口（城市概况；无则不作判定）",
            "Σ effective area of the division's shelters open at the end of the year ÷ resident "
            "population (city profile; not judged without it)",
            "higher_better", ">=", 1.5,
            "人均避难场所面积 {value} m²（{shelters} 处开放场所，共 {area_m2} m²）",
            "shelter area per person is {value} m² ({shelters} open shelters, {area_m2} m²)",
            target_source_zh=SHELTER_SOURCE[0], target_source_en=SHELTER_SOURCE[1]),
    Default("shelter_capacity", "避难场所容量", "Shelter capacity", "人", "computed",
            "Σ floor(有效避难面积 ÷ 该类别人均最小面积)：紧急 0.5、短期 2.0、中期 3.0、长期/中心 4.5 m²",
            "Σ floor(effective area ÷ the class's minimum per person): emergency 0.5, short "
            "2.0, medium 3.0, long/central 4.5 m²", "higher_better"),
    Default("shelter_coverage", "避难场所服务半径覆盖率", "Shelter service-radius coverage", "%",
            "computed",
            "建成区近似 [I]：体检年末登记有在用管线的 250 m 网格（登记资产所在即建成区；登记库尚无建成区边界）"
            "中，网格中心位于任一开放避难场所服务半径内的 ÷ 网格总数 × 100（EPSG:4549 平面；半径：紧急 "
            "500 m、固定 2000 m、中心 5000 m，邻区场所亦计）；无登记管线时无数据",
            "built-up stand-in [I]: of the 250 m cells holding in-service registered pipe at the "
            "end of the year (where assets are registered is taken as built up; the registry has "
            "no built-up boundary), those whose centre lies within the service radius of any open "
            "shelter ÷ all of them × 100 (EPSG:4549 plane; radius: emergency 500 m, fixed "
            "2,000 m, central 5,000 m; neighbours' shelters count); no data without pipe",
            "higher_better", ">=", 80.0,
            "{uncovered_km2} km² 登记建成区不在任何避难场所服务半径内",
            "{uncovered_km2} km² of the registered built-up area lie outside every shelter's "
            "service radius", target_source_zh=HOUSE[0], target_source_en=HOUSE[1]),
    Default("hazards_found", "隐患发现数", "Hidden hazards found", "个", "computed",
            "发现日期在体检年内的隐患数", "hazards whose found date falls in the year"),
    Default("road_collapse_hazards", "道路塌陷隐患点数量", "Open road-collapse hazards", "个",
            "computed",
            "体检年末（或今天，取较早者）仍未销号的道路塌陷类隐患数（发现不晚于该日、未退役）",
            "hazards of category road collapse still open (not closed, not retired) at the end "
            "of the year or today, whichever is earlier",
            "lower_better", "<=", 0.0,
            "{open} 处道路塌陷隐患未销号", "{open} road-collapse hazards are still open",
            target_source_zh=ALL_CLEARED[0], target_source_en=ALL_CLEARED[1]),
    Default("hazards_closed_on_time", "隐患按期整改销号率", "Hazards closed on time", "%",
            "computed",
            "整改期限在体检年内且已到期的隐患中，在期限当日或之前销号的 ÷ 其总数 × 100",
            "of the hazards whose deadline fell in the year and has passed, those closed on or "
            "before it ÷ all of them × 100",
            "higher_better", ">=", 90.0,
            "{late} 项隐患未按期整改销号", "{late} hazards were not closed by their deadline",
            target_source_zh=HOUSE[0], target_source_en=HOUSE[1]),
    Default("inspections_on_time", "巡检按期完成率", "Inspections done on time", "%",
            "computed",
            "应完成日在体检年内且已截止的巡检任务中，在截止日当日或之前完成的 ÷ 其总数 × 100",
            "of the inspection tasks due in the year whose window has closed, those done on or "
            "before their closing day ÷ all of them × 100",
            "higher_better", ">=", 95.0,
            "{late} 项巡检任务未按期完成", "{late} inspection tasks were not done on time",
            target_source_zh=HOUSE[0], target_source_en=HOUSE[1]),
    # Added by issue 14 (appended: the rows above keep their positions).
    Default("renewal_completion", "老旧管网更新改造完成率", "Ageing networks renewed", "%",
            "computed",
            "上年末在用且按老化规则判定为老化的燃气、供水、排水、供热管线中，到本年末已更新改造（停用、废弃、"
            f"拆除、退役，或改造后不再判定为老化）的长度 ÷ 其总长 × 100；{AGEING_ZH}",
            "of the gas, water, drainage and heat pipelines in service and old by the ageing rule "
            "at the end of the previous year, the length renewed by the end of this one (out of "
            "service, abandoned, removed or retired, or no longer old after rehabilitation) ÷ "
            f"their total length × 100; {AGEING_EN}", "higher_better",
            problem_zh="上年末老化管线 {due_km} km 中 {left_km} km 本年未更新改造",
            problem_en="{left_km} of the {due_km} km of ageing pipe at the start of the year "
            "were not renewed"),
    *[_lifeline(k, zh, en) for k, (zh, en) in LIFELINES.items()],
    Default("fire_5min_coverage", "消防救援5分钟可达覆盖率", "Fire rescue reach in 5 minutes",
            "%", "entered",
            "填报（调查类指标）：消防站 5 分钟车程可达的建成区面积 ÷ 建成区面积 × 100（消防救援部门提供）",
            "entered (survey indicator): built-up area a fire station reaches within 5 minutes ÷ "
            "built-up area × 100 (from the fire and rescue service)", "higher_better",
            min_value=0.0, max_value=100.0),
    Default("drainage_rescue_capacity", "排水防涝应急抢险能力", "Drainage emergency pumping capacity",
            "m³/h", "entered",
            "填报（调查类指标）：排水防涝抢险队伍与移动泵车等设备的抢险排水能力之和（排水主管部门提供）",
            "entered (survey indicator): Σ pumping capacity of the drainage and flood emergency "
            "teams and mobile pumps (from the drainage department)", "higher_better",
            min_value=0.0, max_value=1e7),
)
