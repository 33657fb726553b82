"""When a pipe counts as old (老化) and due for renewal: one sourced, versioned table for every module.

After 国办发〔2022〕22号《国务院办公厅关于印发城市燃气管道等老化更新改造实施方案（2022—2025年）的
通知》, its 更新改造对象范围 (what is to be renewed). The health check (老化管线比例, 老旧管网更新
改造完成率), the five-colour vulnerability age term (``age_term``), the four-colour ageing rule
(``is_old``) and the 管线焕新 candidate list all call :func:`assess`, so a pipe is old in one
place only.

Wording, and how far it was checked (the official text was not retrieved here):

- 燃气 (checked against a reproduction of the State Council's 2022-07-18 release of the plan,
  and the 《城市燃气管道老化评估工作指南》 summary): 市政管道与庭院管道中的全部灰口铸铁管道、
  不满足安全运行要求的球墨铸铁管道、运行年限满20年且经评估存在安全隐患的钢质管道、聚乙烯（PE）
  管道; steel and PE under 20 years that are unsafe and cannot be made safe by controls
  (运行年限不足20年，存在安全隐患经评估无法通过落实管控措施保障安全) — that last clause from
  the digest below.
- 供水 (checked, same release): 水泥管道、石棉管道、无防腐内衬的灰口铸铁管道，运行年限满30年、
  存在安全隐患的其他管道.
- 排水 (checked against a secondary digest of the plan, https://fx361.cc/page/2022/0917/
  14358980.shtml — the official text not retrieved): 平口混凝土、无钢筋的素混凝土管道；存在混错接
  等问题的管道；运行年限满50年的其他管道. Age alone suffices: no defect is asked for.
- 供热 (same digest): 运行年限满20年的管道；存在泄漏隐患、热损失大等问题的其他管道.

DOMAIN.md §10 words 供水 "with defects" and 排水/供热 "50/20 years with defects"; the release
says 供水 "存在安全隐患" (assessed unsafe), and the 排水/供热 age clauses carry no condition.
Not encoded, since the registry cannot tell them: 占压 (gas under buildings), 混错接 (drain
mis-connections), 立管, 厂站, user facilities and 二次供水.

Each row says how sure it is: ``basis`` "S" is the document's rule; "I" marks an inference
this registry makes — a material mapping the CJJ 61 codes cannot settle. Condition words
("存在安全隐患", "不满足安全运行要求", "泄漏隐患") map to the registry's condition grade ≥ 3 [I].
Where the registry cannot tell (the lining of a cast-iron main, plain from reinforced concrete,
a condition never assessed where the document asks for an assessment) the verdict is ``check``
(待核实/待评估), never ``old``: a guess must not count as 老化. Categories the document does not
cover (power, telecom, industrial) are never old by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERSION = "gbf-2022-22/v1"
SOURCE_ZH = "国办发〔2022〕22号《城市燃气管道等老化更新改造实施方案（2022—2025年）》"
SOURCE_EN = ("State Council General Office Guo Ban Fa [2022] No. 22, plan for renewing ageing "
             "urban gas and other pipelines (2022–2025)")
STATUSES = ("old", "check", "ok")  # strongest first


@dataclass(frozen=True)
class Condition:
    """What a rule's condition ("with defects", "assessed unsafe") means in condition grades."""

    code: str
    min_grade: int  # condition_grade at or above it meets the condition (1 good … 4 bad)
    basis: str
    zh: str
    en: str


# CJJ 181's grades III–IV (较差/差) are defects that affect the structure; the registry's
# grades follow them (resilience.codes.CONDITION_GRADES). The mapping is this registry's [I].
CONDITIONS: dict[str, Condition] = {c.code: c for c in (
    Condition("defects", 3, "I", "存在泄漏隐患等问题（状况等级 ≥ 3 较差/差）",
              "with leaks or like defects (condition grade ≥ 3, poor/bad)"),
    Condition("unsafe", 3, "I", "经评估存在安全隐患（状况等级 ≥ 3）",
              "assessed unsafe (condition grade ≥ 3)"),
    Condition("fails_assessment", 3, "I", "不满足安全运行要求（状况等级 ≥ 3）",
              "fails the safe-operation requirement (condition grade ≥ 3)"),
)}


# The drainage and heat rows were checked against a secondary digest of 22号 only (the gas
# and water rows against a reproduction of the State Council's release): said on each row.
DIGEST_ZH = "据22号的二手图解转载核对（fx361.cc），未取得官方原文"
DIGEST_EN = "checked against a secondary digest of 22号 (fx361.cc); official text not retrieved"


@dataclass(frozen=True)
class Rule:
    """One row: a category, the materials it covers (empty: any), the service years it needs
    (None: any age), the condition it needs (None: none), and the verdict when all hold.

    ``unassessed`` is the verdict for a pipe the row fits but whose condition was never
    assessed: ``check`` where the document asks for an assessment, ``ok`` where the condition
    is what makes the pipe a case at all (any young heat pipe would otherwise be "to assess").
    """

    code: str
    category: str
    materials: tuple[str, ...]
    min_years: int | None
    condition: str | None
    verdict: str  # "old" (老化，应更新改造) or "check" (待核实)
    basis: str  # "S" the document's rule; "I" inferred here
    zh: str
    en: str
    inferred_zh: str = ""  # what in the row is inferred, when anything is
    inferred_en: str = ""
    unassessed: str = "check"


RULES: tuple[Rule, ...] = (
    # 燃气 (gas) — checked against the State Council's release
    Rule("gas.grey_cast_iron", "gas", ("cast_iron",), None, None, "old", "S",
         "市政管道与庭院管道中的全部灰口铸铁管道", "all grey cast-iron gas pipe (mains and yard)",
         "登记材质“铸铁”(CJJ 61 ZT) 按灰口铸铁计，球墨铸铁另有代码 QM",
         "registered 'cast iron' (CJJ 61 ZT) is taken as grey iron; ductile iron has its own QM"),
    Rule("gas.ductile_iron", "gas", ("ductile_iron",), None, "fails_assessment", "old", "S",
         "不满足安全运行要求的球墨铸铁管道", "ductile-iron gas pipe that fails the safe-operation "
         "requirement"),
    Rule("gas.steel", "gas", ("steel",), 20, "unsafe", "old", "S",
         "运行年限满 20 年、经评估存在安全隐患的钢质管道", "steel gas pipe in service 20 years or "
         "more, assessed unsafe"),
    Rule("gas.pe", "gas", ("pe",), 20, "unsafe", "old", "S",
         "运行年限满 20 年、经评估存在安全隐患的聚乙烯(PE)管道", "PE gas pipe in service 20 years or "
         "more, assessed unsafe"),
    Rule("gas.young_unsafe", "gas", ("steel", "pe"), None, "unsafe", "check", "I",
         "运行年限不足 20 年、存在安全隐患的钢质或 PE 管道：经评估无法通过管控措施保障安全者应更新，待核实",
         "steel or PE gas pipe under 20 years with a hazard: renewed when controls cannot make "
         "it safe; to verify",
         "能否通过落实管控措施保障安全未登记", "whether controls can make it safe is not recorded",
         unassessed="ok"),
    # 供水 (water supply) — checked against the State Council's release
    Rule("water_supply.asbestos", "water_supply", ("asbestos",), None, None, "old", "S",
         "石棉管道", "asbestos-cement water pipe"),
    Rule("water_supply.cement", "water_supply", ("concrete",), None, None, "check", "I",
         "水泥管道 [S]：登记材质“混凝土”含预应力钢筒混凝土等现代管材，待核实",
         "cement water pipe [S]: registered 'concrete' also holds modern prestressed pipe; to verify",
         "水泥管与其他混凝土管在 CJJ 61 材质代码中不分", "CJJ 61 material codes do not separate "
         "cement pipe from other concrete pipe"),
    Rule("water_supply.grey_cast_iron", "water_supply", ("cast_iron",), None, None, "check", "I",
         "无防腐内衬的灰口铸铁管道 [S]：登记数据无内衬信息，待核实",
         "grey cast-iron water pipe without an anti-corrosion lining [S]: the registry records "
         "no lining; to verify", "是否有防腐内衬未登记", "the lining is not recorded"),
    Rule("water_supply.aged", "water_supply", (), 30, "unsafe", "old", "S",
         "运行年限满 30 年、存在安全隐患的其他管道", "other water pipe in service 30 years or more "
         "with a safety hazard"),
    # 排水 (drainage) — checked against a secondary digest
    Rule("drainage.plain_concrete", "drainage", ("concrete",), None, None, "check", "I",
         "平口混凝土、无钢筋的素混凝土管道 [S]：登记材质“混凝土”不分素混凝土与钢筋混凝土，待核实",
         "flush-jointed or unreinforced plain-concrete drain [S]: registered 'concrete' does not "
         "separate plain from reinforced; to verify",
         "素混凝土/平口与钢筋混凝土在 CJJ 61 材质代码中不分", "CJJ 61 material codes do not separate "
         "plain from reinforced concrete"),
    Rule("drainage.aged", "drainage", (), 50, None, "old", "S",
         "运行年限满 50 年的其他排水管道", "other drain in service 50 years or more",
         DIGEST_ZH, DIGEST_EN),
    # 供热 (heat) — checked against a secondary digest
    Rule("heat.aged", "heat", (), 20, None, "old", "S",
         "运行年限满 20 年的供热管道", "heating pipe in service 20 years or more",
         DIGEST_ZH, DIGEST_EN),
    Rule("heat.defective", "heat", (), None, "defects", "old", "S",
         "存在泄漏隐患、热损失大等问题的其他供热管道", "other heating pipe with leaks, heavy heat "
         "loss or like problems", DIGEST_ZH, DIGEST_EN, unassessed="ok"),
)

CATEGORIES = tuple(dict.fromkeys(r.category for r in RULES))


@dataclass(frozen=True)
class Verdict:
    """How a pipe stands under the table: ``old``, ``check`` (待核实/待评估) or ``ok``, and why."""

    status: str
    rule: str | None
    reason_zh: str
    reason_en: str
    basis: str = ""

    def reason(self, locale: str) -> str:
        """The reason in a locale."""
        return self.reason_zh if locale.lower().startswith("zh") else self.reason_en


OK = Verdict("ok", None, "", "")


def _years(build_year: Any, year: int) -> int | None:
    try:
        return None if build_year is None else year - int(build_year)
    except (TypeError, ValueError):
        return None


def _grade(condition_grade: Any) -> int | None:
    try:
        return None if condition_grade is None else int(condition_grade)
    except (TypeError, ValueError):
        return None


def _against(rule: Rule, material: str | None, age: int | None, grade: int | None) -> Verdict:
    """One rule's verdict for a pipe of the rule's category."""
    if rule.materials and material not in rule.materials:
        return OK
    if rule.min_years is not None and (age is None or age < rule.min_years):
        return OK
    aged = f"（{age} 年）" if rule.min_years is not None else ""
    aged_en = f" ({age} years)" if rule.min_years is not None else ""
    if rule.condition is not None:
        cond = CONDITIONS[rule.condition]
        if grade is None:  # not assessed is never old [I]; to assess where the document asks
            if rule.unassessed == "ok":
                return OK
            return Verdict("check", rule.code, f"待评估：{rule.zh}{aged}，尚无状况评估",
                           f"to assess: {rule.en}{aged_en}, no condition recorded", "I")
        if grade < cond.min_grade:
            return OK
        return Verdict(rule.verdict, rule.code, f"{rule.zh}{aged}，状况等级 {grade}",
                       f"{rule.en}{aged_en}, condition grade {grade}", rule.basis)
    prefix = ("待核实：", "to verify: ") if rule.verdict == "check" else ("", "")
    return Verdict(rule.verdict, rule.code, prefix[0] + rule.zh + aged,
                   prefix[1] + rule.en + aged_en, rule.basis)


def assess(category: str | None, material: str | None, build_year: Any, condition_grade: Any,
           year: int) -> Verdict:
    """A pipe's standing in ``year``: the strongest verdict of the rows of its category."""
    age, grade = _years(build_year, year), _grade(condition_grade)
    best = OK
    for rule in RULES:
        if rule.category != category:
            continue
        verdict = _against(rule, material, age, grade)
        if STATUSES.index(verdict.status) < STATUSES.index(best.status):
            best = verdict
    return best


def is_old(category: str | None, material: str | None, build_year: Any, condition_grade: Any,
           year: int) -> tuple[bool, str]:
    """Whether a pipe counts as old (老化) in ``year`` under the table, and why (in Chinese)."""
    verdict = assess(category, material, build_year, condition_grade, year)
    return verdict.status == "old", verdict.reason_zh


def renewal_age(category: str | None) -> int | None:
    """The fewest service years any age rule of the category needs (None: no age rule)."""
    ages = [r.min_years for r in RULES if r.category == category and r.min_years is not None]
    return min(ages) if ages else None


def age_term(category: str | None, material: str | None, build_year: Any, condition_grade: Any,
             year: int, fallback_life: float) -> float:
    """A 0–1 age term for vulnerability: 1 for an old pipe, else its age over its category's
    renewal age (``fallback_life`` for categories the table does not cover); 0.5 when the
    build year is unknown. Never lower for an older or a worse pipe (DOMAIN.md §10)."""
    if assess(category, material, build_year, condition_grade, year).status == "old":
        return 1.0
    age = _years(build_year, year)
    life = renewal_age(category) or fallback_life
    if age is None or not life:
        return 0.5
    return float(min(1.0, max(0.0, age / life)))


def table_rows(locale: str = "zh") -> list[dict[str, Any]]:
    """The table as rows for pages and workbooks (category, materials, years, condition, …)."""
    zh = locale.lower().startswith("zh")
    out = []
    for r in RULES:
        cond = CONDITIONS.get(r.condition or "")
        out.append({
            "code": r.code, "category": r.category, "materials": list(r.materials),
            "min_years": r.min_years, "condition": (cond.zh if zh else cond.en) if cond else "",
            "verdict": r.verdict, "basis": r.basis, "text": r.zh if zh else r.en,
            "inferred": (r.inferred_zh if zh else r.inferred_en)
            or ((cond.zh if zh else cond.en) + " [I]" if cond else ""),
        })
    return out
