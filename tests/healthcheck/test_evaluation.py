"""五年一评估: five yearly checks side by side, gaps kept as gaps, the chart geometry and the verdict."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from risk.healthcheck import checks, evaluation
from risk.healthcheck.evaluation import HEIGHT, PAD_BOTTOM, PAD_TOP, chart
from tests.healthcheck.conftest import YEAR


def test_a_chart_keeps_gaps_draws_the_reference_and_stays_in_its_box() -> None:
    values = [(2022, 4.0), (2023, None), (2024, 2.0), (2025, 1.0), (2026, 0.0)]
    c = chart(values, reference=0.0)
    assert [d.year for d in c.dots] == [2022, 2023, 2024, 2025, 2026]
    assert c.dots[1].y is None and c.dots[1].label == "—"  # no data: a gap, never a zero
    assert len(c.lines) == 1 and c.lines[0].count(",") == 3  # 2024–2026; 2022 stands alone
    xs = [d.x for d in c.dots]
    assert xs == sorted(xs) and len(set(xs)) == 5
    ys = [d.y for d in c.dots if d.y is not None]
    assert all(PAD_TOP <= y <= HEIGHT - PAD_BOTTOM for y in ys)
    assert ys == sorted(ys)  # falling values are drawn lower and lower (SVG y grows down)
    assert c.reference_y == c.dots[-1].y  # the last value sits on the reference line
    empty = chart([(2022, None), (2023, None)])
    assert empty.lines == [] and all(d.y is None for d in empty.dots)
    flat = chart([(2025, 5.0), (2026, 5.0)])
    assert flat.dots[0].y == flat.dots[1].y and PAD_TOP <= flat.dots[0].y <= HEIGHT - PAD_BOTTOM


def test_the_five_years_of_a_division_with_missing_years_and_verdicts(
        session: Session, city: dict[str, Any]) -> None:
    for year in (YEAR - 3, YEAR - 1, YEAR):
        checks.compute(session, "330106", year, by="t")
    checks.finalize(session, checks.find(session, "330106", YEAR - 3), by="t")
    ev = evaluation.evaluate(session, "330106", YEAR, "zh")
    assert ev.years == list(range(YEAR - 4, YEAR + 1))
    assert ev.missing == [YEAR - 4, YEAR - 2]
    assert ev.checked[YEAR - 3] == "final" and ev.checked[YEAR] == "draft"
    series = {s.code: s for s in ev.series}
    assert "built_up_area" not in series  # base data is not an indicator to evaluate
    flood = series["waterlogging_points"]
    # 2023: the point first flooded that year; 2025: it and the 2024 one (the third was
    # eliminated in March); 2026: the first eliminated in May — each as it stood then
    assert [v for _, v in flood.values] == [None, 1.0, None, 2.0, 1.0]
    assert flood.verdict == "same" and flood.reference == "参考值 ≤ 0"
    assert series["pipeline_over_age.gas"].verdict == "same"
    assert flood.reference_source.startswith("工作定义")
    assert series["fire_5min_coverage"].verdict is None  # entered nowhere: no verdict
    assert series["tunnel_length"].reference == ""
