"""health check: built-up area and population come from the city profile, not the check

The catalogue rows 建成区面积 and 常住人口 were entered in each check and, when missing, stood in
for by the administrative area and the division table's population. They are now the city
profile's figures (resilience.profiles), shown by the check and never replaced by a guess; the
density and per-person rows say so. Rows a city has edited (other texts) are left alone.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# code: ((old zh, old en), (new zh, new en))
FORMULAS = {
    'built_up_area': (
        ('填报：统计年鉴或国土调查的建成区面积；未填报时以行政区面积代替并注明',
         "entered from the statistical yearbook or land survey; the division's area is used "
         "(and noted) when it is missing"),
        ('城市概况（管理员据统计年鉴或国土调查按年填报）中本年的建成区面积，无则取最近上一年；'
         '均无时密度类指标无数据、不作判定',
         "the city profile's built-up area for the year (entered by an admin from the "
         "statistical yearbook or land survey), else the latest earlier year's; without it the "
         "densities have no data and are not judged")),
    'population': (
        ('填报：统计公报的常住人口；未填报时用行政区划表中的人口并注明',
         "entered from the statistical bulletin; the division table's population is used "
         "(and noted) when it is missing"),
        ('城市概况（管理员据统计公报按年填报）中本年的常住人口，无则取最近上一年；'
         '均无时人均类指标无数据、不作判定',
         "the city profile's resident population for the year (entered by an admin from the "
         "statistical bulletin), else the latest earlier year's; without it the per-person "
         "figures have no data and are not judged")),
    'waterlogging_density': (
        ('内涝积水点数量 ÷ 建成区面积（填报）', 'waterlogging points ÷ built-up area (entered)'),
        ('内涝积水点数量 ÷ 建成区面积（城市概况；无则不作判定）',
         'waterlogging points ÷ built-up area (city profile; not judged without it)')),
    'drainage_density': (
        ('在用排水管线长度（km）÷ 建成区面积（km²，填报；缺省为行政区面积并注明）',
         "in-service drainage pipeline length (km) ÷ built-up area (km², entered; the "
         "division's area, noted, when missing)"),
        ('在用排水管线长度（km）÷ 建成区面积（km²，城市概况；无则不作判定）',
         'in-service drainage pipeline length (km) ÷ built-up area (km², city profile; not '
         'judged without it)')),
    'shelter_area_per_capita': (
        ('辖区内开放的避难场所有效避难面积之和 ÷ 常住人口（填报；缺省为区划表人口并注明）',
         "Σ effective area of the division's open shelters ÷ resident population (entered; "
         "the division table's, noted, when missing)"),
        ('辖区内开放的避难场所有效避难面积之和 ÷ 常住人口（城市概况；无则不作判定）',
         "Σ effective area of the division's open shelters ÷ resident population (city "
         "profile; not judged without it)")),
}
# The entered rows' bounds, restored on the way down.
BOUNDS = {'built_up_area': (0.01, 50_000.0), 'population': (1.0, 50_000_000.0)}

indicators = sa.table('health_indicators', sa.column('code', sa.String), sa.column('source', sa.String),
                      sa.column('formula_zh', sa.Text), sa.column('formula_en', sa.Text),
                      sa.column('min_value', sa.Float), sa.column('max_value', sa.Float))


def _texts(old: int, new: int) -> None:
    for code, texts in FORMULAS.items():
        (zh, en), (to_zh, to_en) = texts[old], texts[new]
        op.execute(indicators.update().where(indicators.c.code == code,
                                             indicators.c.formula_zh == zh)
                   .values(formula_zh=to_zh))
        op.execute(indicators.update().where(indicators.c.code == code,
                                             indicators.c.formula_en == en)
                   .values(formula_en=to_en))


def upgrade() -> None:
    _texts(0, 1)
    op.execute(indicators.update().where(indicators.c.code.in_(list(BOUNDS)),
                                         indicators.c.source == 'entered')
               .values(source='computed', min_value=None, max_value=None))


def downgrade() -> None:
    _texts(1, 0)
    for code, (low, high) in BOUNDS.items():
        op.execute(indicators.update().where(indicators.c.code == code,
                                             indicators.c.source == 'computed')
                   .values(source='entered', min_value=low, max_value=high))
