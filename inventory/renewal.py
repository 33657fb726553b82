"""管线焕新: the pipes the ageing rule (``inventory.ageing``) makes renewal candidates, per
division and category, each with the reason it is one — and as a workbook the city files.

Candidates are in-service, unretired segments of the categories the rule covers: ``old``
(老化，应更新改造) and, apart, ``check`` (待核实/待评估: a material the survey codes cannot
settle, or an age reached without a condition assessment), so a guess is never reported as
old. One query; the rule is applied in Python, the same function the health check and both
risk maps call.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import ageing
from inventory.pipelines import Pipeline
from resilience import codes
from resilience.divisions import Division, division_prefix, within
from resilience.sheets import FORMULA_START


@dataclass(frozen=True)
class Candidate:
    """One segment the rule lists, with what it was judged on and why."""

    id: int
    name: str | None
    external_id: str | None
    division_code: str
    category: str
    material: str | None
    build_year: int | None
    condition_grade: int | None
    length_m: float
    verdict: ageing.Verdict


@dataclass
class Group:
    """One category's candidates and their totals."""

    category: str
    old: list[Candidate] = field(default_factory=list)
    check: list[Candidate] = field(default_factory=list)

    @property
    def old_km(self) -> float:
        """Length of the old ones, km."""
        return round(sum(c.length_m for c in self.old) / 1000, 3)

    @property
    def check_km(self) -> float:
        """Length of those to verify or assess, km."""
        return round(sum(c.length_m for c in self.check) / 1000, 3)


def candidates(session: Session, division_code: str, year: int) -> list[Candidate]:
    """Every in-service segment of the division (and below) the rule marks old or to check."""
    p = Pipeline.__table__.c
    rows = session.execute(
        select(p.id, p.name, p.external_id, p.division_code, p.category, p.material,
               p.build_year, p.condition_grade, p.length_m)
        .where(within(p.division_code, (division_prefix(division_code),)),
               p.retired_at.is_(None), p.status == "in_service",
               p.category.in_(ageing.CATEGORIES))
        .order_by(p.category, p.build_year, p.id)).all()
    out = []
    for r in rows:
        verdict = ageing.assess(r.category, r.material, r.build_year, r.condition_grade, year)
        if verdict.status != "ok":
            out.append(Candidate(r.id, r.name, r.external_id, r.division_code, r.category,
                                 r.material, r.build_year, r.condition_grade,
                                 float(r.length_m or 0.0), verdict))
    return out


def by_category(found: list[Candidate]) -> list[Group]:
    """The candidates grouped by category, in the rule table's order."""
    groups = {cat: Group(cat) for cat in ageing.CATEGORIES}
    for c in found:
        group = groups[c.category]
        (group.old if c.verdict.status == "old" else group.check).append(c)
    return list(groups.values())


def _label(code_list: codes.CodeList, value: object, zh: bool) -> str:
    if value is None:
        return ""
    found = code_list.get(str(value))
    return found.label("zh" if zh else "en") if found else str(value)


def _safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


HEADERS = {
    "zh": ("序号", "判定", "管线类别", "编号", "外部编号", "名称", "所属区划", "区划代码", "材质",
           "建设年代", "状况等级", "长度(m)", "原因", "规则", "依据"),
    "en": ("#", "Verdict", "Category", "Id", "External id", "Name", "Division", "Division code",
           "Material", "Build year", "Condition", "Length (m)", "Reason", "Rule", "Basis"),
}


def workbook(session: Session, division_code: str, year: int, locale: str = "zh") -> bytes:
    """The candidates as XLSX: one row each (verdict, category, material, years, condition,
    length, reason), a summary per category, and the rule table with its [S]/[I] marks."""
    zh = locale.lower().startswith("zh")
    found = candidates(session, division_code, year)
    names: dict[str, str | None] = {
        code: name for code, name in session.execute(
            select(Division.code, Division.name if zh else Division.name_en))}
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook starts with one worksheet, never None
    ws.title = "候选清单" if zh else "Candidates"
    title = names.get(division_code) or division_code
    ws.append([f"{title} {year} 年管线焕新候选清单（{ageing.SOURCE_ZH}，规则 {ageing.VERSION}）" if zh
               else f"{title} pipeline renewal candidates {year} (rule {ageing.VERSION})"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(list(HEADERS["zh" if zh else "en"]))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
    verdicts = {"old": "老化" if zh else "old", "check": "待核实" if zh else "to check"}
    for i, c in enumerate(found, 1):
        ws.append([i, verdicts[c.verdict.status],
                   _label(codes.PIPELINE_CATEGORIES, c.category, zh), c.id, c.external_id,
                   _safe(c.name or ""), names.get(c.division_code) or "", c.division_code,
                   _label(codes.MATERIALS, c.material, zh), c.build_year, c.condition_grade,
                   round(c.length_m, 2), _safe(c.verdict.reason(locale)), c.verdict.rule,
                   c.verdict.basis])
    for col, width in zip("ABCDEFGHIJKLMNO", (6, 8, 8, 8, 14, 24, 14, 12, 10, 8, 8, 10, 60, 26, 6),
                          strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A4"
    summary = wb.create_sheet("分类汇总" if zh else "By category")
    summary.append(["管线类别", "老化(段)", "老化(km)", "待核实(段)", "待核实(km)"] if zh
                   else ["Category", "Old (segments)", "Old (km)", "To check (segments)",
                         "To check (km)"])
    for g in by_category(found):
        summary.append([_label(codes.PIPELINE_CATEGORIES, g.category, zh), len(g.old), g.old_km,
                        len(g.check), g.check_km])
    rules = wb.create_sheet("老化规则" if zh else "Ageing rule")
    rules.append([ageing.SOURCE_ZH if zh else ageing.SOURCE_EN, ageing.VERSION])
    rules.append(["规则", "类别", "材质", "年限(≥)", "状况", "判定", "依据", "说明", "推定部分"] if zh
                 else ["Rule", "Category", "Materials", "Years (≥)", "Condition", "Verdict",
                       "Basis", "Text", "Inferred"])
    for r in ageing.table_rows(locale):
        rules.append([r["code"], r["category"], ", ".join(r["materials"]), r["min_years"],
                      r["condition"], r["verdict"], r["basis"], r["text"], r["inferred"]])
    for sheet in (summary, rules):
        for cell in sheet[1 if sheet is summary else 2]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
