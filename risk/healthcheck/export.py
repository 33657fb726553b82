"""A health check as an XLSX workbook: its indicators, and its problem list."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from resilience.sheets import FORMULA_START
from risk.healthcheck.checks import Report

TREND = {"better": "↑", "worse": "↓", "same": "→"}
HEADERS = {
    "zh": ("层级", "方面", "指标代码", "指标", "数值", "单位", "参考值", "达标", "趋势", "上年",
           "来源", "说明", "计算方法", "参考值来源"),
    "en": ("Level", "Aspect", "Code", "Indicator", "Value", "Unit", "Reference", "Met", "Trend",
           "Previous", "Source", "Note", "Formula", "Reference source"),
}
JUDGED = {"zh": {"met": "是", "missed": "否", "no_data": "无数据", "not_judged": "未评估"},
          "en": {"met": "yes", "missed": "no", "no_data": "no data", "not_judged": "not judged"}}


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def workbook(report: Report, locale: str = "zh") -> bytes:
    """Two sheets: the indicators (value, unit, reference value and its source, met — or 无数据,
    未评估 —, trend, formula) and the problems."""
    zh = locale.lower().startswith("zh")
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook starts with one worksheet, never None
    ws.title = "指标" if zh else "Indicators"
    check = report.check
    ws.append([f"{report.division_name} {check.year} 年城市体检" if zh
               else f"{report.division_name} health check {check.year}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(list(HEADERS["zh" if zh else "en"]))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
    judged = JUDGED["zh" if zh else "en"]
    for line in report.lines:
        previous = next((v for _, v in reversed(line.previous) if v is not None), None)
        ws.append([
            line.level, line.aspect, line.code, _safe(line.name), line.value, line.unit,
            line.target, judged[line.judgement],
            TREND.get(line.trend or "", ""), previous,
            ("计算" if line.source == "computed" else "填报") if zh else line.source,
            _safe(line.note), _safe(line.formula + (" [I]" if line.inferred else "")),
            _safe(line.target_source),
        ])
    for col, width in zip("ABCDEFGHIJKLMN", (8, 12, 28, 30, 12, 9, 9, 8, 6, 10, 8, 30, 80, 50),
                          strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A4"
    ps = wb.create_sheet("问题清单" if zh else "Problems")
    ps.append(["序号", "指标代码", "指标", "原因", "问题"] if zh
              else ["#", "Code", "Indicator", "Reason", "Problem"])
    for cell in ps[1]:
        cell.font = Font(bold=True)
    reasons = {"target": "未达标", "worse": "变差"} if zh else {"target": "target missed",
                                                               "worse": "worse"}
    for i, p in enumerate(report.problems, 1):
        ps.append([i, p.code, _safe(p.name), reasons[p.reason], _safe(p.text)])
    for col, width in zip("ABCDE", (6, 28, 30, 10, 90), strict=True):
        ps.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
