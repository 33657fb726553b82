"""管线焕新: the renewal candidates page and workbook, per division and category, with reasons."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from inventory import ageing, renewal, service
from tests import factories as f
from tests.healthcheck.conftest import ctx
from tests.web.test_dashboard import sign_in

YEAR = 2026


def pipes(session: Session) -> dict[str, Any]:
    """Gas, water and drainage segments in 西湖区, old, to check and fine; one old in 上城区."""
    c = ctx(session)

    def pipe(at: tuple[float, float], **props: Any) -> Any:
        return service.create(session, "pipelines", f.pipeline(at, **props), c)

    x, y = f.XIHU
    made = {
        "grey": pipe((x, y), category="gas", subcategory="natural_gas", material="cast_iron",
                     build_year=2012, name="文三路燃气管"),
        "steel_unassessed": pipe((x + 0.003, y), category="gas", subcategory="natural_gas",
                                 material="steel", build_year=1990, condition_grade=None),
        "water_old": pipe((x + 0.006, y), build_year=1980, condition_grade=3),
        "water_fine": pipe((x + 0.009, y), build_year=1980, condition_grade=1),
        "drain_concrete": pipe((x + 0.012, y), category="drainage", subcategory="sewage",
                               material="concrete", build_year=2010),
        "power": pipe((x + 0.015, y), category="power", subcategory="power_supply", material="copper",
                      build_year=1960, condition_grade=4),
        "shangcheng": pipe(f.SHANGCHENG, category="gas", subcategory="natural_gas",
                           material="cast_iron", build_year=1990),
    }
    session.flush()
    return made


def test_candidates_per_category_with_their_reasons(session: Session) -> None:
    made = pipes(session)
    found = {c.id: c for c in renewal.candidates(session, "330106", YEAR)}
    assert set(found) == {made[k].id for k in ("grey", "steel_unassessed", "water_old",
                                               "drain_concrete")}
    assert found[made["grey"].id].verdict.status == "old"
    assert found[made["grey"].id].verdict.rule == "gas.grey_cast_iron"
    assert found[made["steel_unassessed"].id].verdict.status == "check"  # never old on a guess
    assert "尚无状况评估" in found[made["steel_unassessed"].id].verdict.reason_zh
    assert found[made["water_old"].id].verdict.reason_zh.startswith("运行年限满 30 年")
    assert found[made["drain_concrete"].id].verdict.status == "check"
    groups = {g.category: g for g in renewal.by_category(list(found.values()))}
    assert list(groups) == list(ageing.CATEGORIES)
    assert [len(groups["gas"].old), len(groups["gas"].check)] == [1, 1]
    assert groups["heat"].old == [] and groups["water_supply"].old_km > 0


def test_the_page_and_the_workbook(client: Any, session: Session) -> None:
    made = pipes(session)
    session.commit()
    sign_in(client, "engineer", "engineer-demo-2026")
    resp = client.get(f"/renewal?year={YEAR}")  # the engineer's own division by default
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "管线焕新候选清单" in html and 'value="330106" selected' in html
    summary = html[html.index('id="rn-summary"'):html.index("</table>", html.index('id="rn-summary"'))]
    gas = summary[summary.index('data-category="gas"'):]
    assert '<td class="num rn-old">1</td>' in gas and '<td class="num rn-check">1</td>' in gas
    assert f'data-id="{made["grey"].id}"' in html and "全部灰口铸铁管道" in html
    assert f'data-id="{made["water_fine"].id}"' not in html
    assert f'data-id="{made["shangcheng"].id}"' not in html  # another district's
    assert 'data-rule="drainage.plain_concrete"' in html and "[I]" in html  # the rule, marked
    xlsx = client.get(f"/renewal/330106.xlsx?year={YEAR}")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["候选清单", "分类汇总", "老化规则"]
    ws = wb["候选清单"]
    assert ageing.VERSION in ws["A1"].value
    rows = {r[3]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == {made[k].id for k in ("grey", "steel_unassessed", "water_old",
                                              "drain_concrete")}
    grey = rows[made["grey"].id]
    assert grey[1] == "老化" and grey[2] == "燃气" and grey[8] == "铸铁" and grey[13] == \
        "gas.grey_cast_iron"
    assert rows[made["steel_unassessed"].id][1] == "待核实"
    summary_rows = {r[0]: r for r in wb["分类汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary_rows["燃气"][1:4:2] == (1, 1)
    rules = list(wb["老化规则"].iter_rows(min_row=3, values_only=True))
    assert len(rules) == len(ageing.RULES) and {r[6] for r in rules} == {"S", "I"}
    en = load_workbook(io.BytesIO(client.get(
        f"/renewal/330106.xlsx?year={YEAR}", headers={"Accept-Language": "en"}).data))
    assert en.sheetnames[0] in ("Candidates", "候选清单")  # the user's language


def test_others_divisions_are_refused(client: Any, session: Session) -> None:
    pipes(session)
    session.commit()
    sign_in(client, "engineer_sc", "engineer-demo-2026")
    assert client.get(f"/renewal?division=330106&year={YEAR}").status_code == 403
    assert client.get(f"/renewal/330106.xlsx?year={YEAR}").status_code == 403
    assert client.get(f"/renewal/330102.xlsx?year={YEAR}").status_code == 200
    assert client.get("/renewal?year=abc").status_code == 400
