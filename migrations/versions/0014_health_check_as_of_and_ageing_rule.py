"""health check as of its year: reference values (参考值) say their source; ageing pipe by one rule

Adds the source of each indicator's target to the catalogue (every shipped target is a
reference value, 参考值, with whose convention it is), and rewrites the shipped texts that
changed with issue 14 — 老化管线比例 by the ageing rule of 国办发〔2022〕22号 instead of a design
life per category, values read as the registry stood at the end of the year, shelter coverage
over the registered-asset stand-in for the built-up area. Texts and sources a city has edited
are left alone (only rows still holding the old shipped wording change). New indicators join
each year's set when it is next read (risk.healthcheck.catalogue.ensure_catalogue).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# code: {field: (old shipped text, new shipped text)}
TEXTS = {'drainage_density': {'formula_en': ('in-service drainage pipeline length (km) ÷ built-up area '
                                     '(km², city profile; not judged without it)',
                                     'in-service drainage pipeline length at the end of the year '
                                     '(km) ÷ built-up area (km², city profile; not judged without '
                                     'it)'),
                      'formula_zh': ('在用排水管线长度（km）÷ 建成区面积（km²，城市概况；无则不作判定）',
                                     '体检年末在用排水管线长度（km）÷ 建成区面积（km²，城市概况；无则不作判定）')},
 'pipeline_over_age.all': {'formula_en': ("Σ length of in-service pipelines past their category's "
                                          'design life ÷ total in-service length × 100 (design '
                                          'lives per category, see the category rows)',
                                          'Σ length of in-service gas, water, drainage and heat '
                                          'pipelines old by the ageing rule ÷ their total '
                                          'in-service length × 100; old by State Council General '
                                          'Office Guo Ban Fa [2022] No. 22, plan for renewing '
                                          'ageing urban gas and other pipelines (2022–2025) (rule '
                                          'table gbf-2022-22/v1: material, years, condition) (as '
                                          'the registry stood at the end of the year: built or '
                                          'first recorded by then, not retired by then)'),
                           'formula_zh': ('各类在用管线中超过本类设计年限的长度之和 ÷ 在用管线总长 × 100（设计年限按类别取值，见各类指标）',
                                          '燃气、供水、排水、供热在用管线中按老化规则判定为老化的长度之和 ÷ 这四类在用管线总长 × 100；老化判定按 '
                                          '国办发〔2022〕22号《城市燃气管道等老化更新改造实施方案（2022—2025年）》（规则表版本 '
                                          'gbf-2022-22/v1，按材质、年限、状况）（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）'),
                           'name_en': ('Share of pipelines past design age (all)',
                                       'Share of ageing pipelines (gas, water, drainage, heat)'),
                           'name_zh': ('管线超设计年限比例（全部）', '老化管线比例（燃气、供水、排水、供热）'),
                           'problem_en': ('{segments} segments ({over_km} km) are past their '
                                          'design life: renewal candidates',
                                          '{segments} segments ({over_km} km) are old: renewal '
                                          'candidates'),
                           'problem_zh': ('{segments} 段管线（{over_km} km）超过设计年限，列入管线焕新候选',
                                          '{segments} 段管线（{over_km} km）老化，列入管线焕新候选')},
 'pipeline_over_age.drainage': {'formula_en': ('length of in-service drainage pipelines with '
                                               '(check year − build year) > design life 50 a ÷ '
                                               'total in-service drainage length × 100 (unknown '
                                               'build year: not in the numerator, in the '
                                               'denominator); renewal candidates',
                                               'length of in-service drainage pipelines old by the '
                                               'ageing rule ÷ total in-service drainage length × '
                                               '100; old by State Council General Office Guo Ban '
                                               'Fa [2022] No. 22, plan for renewing ageing urban '
                                               'gas and other pipelines (2022–2025) (rule table '
                                               'gbf-2022-22/v1: material, years, condition); those '
                                               'to verify or assess are not in the numerator (as '
                                               'the registry stood at the end of the year: built '
                                               'or first recorded by then, not retired by then)'),
                                'formula_zh': ('在用排水管线中 (体检年 − 建设年代) > 设计年限 50 年 的长度 ÷ 在用排水管线总长 × '
                                               '100（建设年代不详的不计入分子，计入分母）；为管线焕新候选',
                                               '体检年末在用排水管线中按老化规则判定为老化的长度 ÷ 在用排水管线总长 × 100；老化判定按 '
                                               '国办发〔2022〕22号《城市燃气管道等老化更新改造实施方案（2022—2025年）》（规则表版本 '
                                               'gbf-2022-22/v1，按材质、年限、状况）；待核实、待评估者不计入分子（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）'),
                                'name_en': ('Share of drainage pipelines past design age',
                                            'Share of ageing drainage pipelines'),
                                'name_zh': ('排水管线超设计年限比例', '排水老化管线比例'),
                                'problem_en': ('{segments} drainage segments ({over_km} km) are '
                                               'past their design life: renewal candidates',
                                               '{segments} drainage segments ({over_km} km) are '
                                               'old: renewal candidates'),
                                'problem_zh': ('{segments} 段排水管线（{over_km} km）超过设计年限，列入管线焕新候选',
                                               '{segments} 段排水管线（{over_km} km）老化，列入管线焕新候选')},
 'pipeline_over_age.gas': {'formula_en': ('length of in-service gas pipelines with (check year − '
                                          'build year) > design life 30 a ÷ total in-service gas '
                                          'length × 100 (unknown build year: not in the numerator, '
                                          'in the denominator); renewal candidates',
                                          'length of in-service gas pipelines old by the ageing '
                                          'rule ÷ total in-service gas length × 100; old by State '
                                          'Council General Office Guo Ban Fa [2022] No. 22, plan '
                                          'for renewing ageing urban gas and other pipelines '
                                          '(2022–2025) (rule table gbf-2022-22/v1: material, '
                                          'years, condition); those to verify or assess are not in '
                                          'the numerator (as the registry stood at the end of the '
                                          'year: built or first recorded by then, not retired by '
                                          'then)'),
                           'formula_zh': ('在用燃气管线中 (体检年 − 建设年代) > 设计年限 30 年 的长度 ÷ 在用燃气管线总长 × '
                                          '100（建设年代不详的不计入分子，计入分母）；为管线焕新候选',
                                          '体检年末在用燃气管线中按老化规则判定为老化的长度 ÷ 在用燃气管线总长 × 100；老化判定按 '
                                          '国办发〔2022〕22号《城市燃气管道等老化更新改造实施方案（2022—2025年）》（规则表版本 '
                                          'gbf-2022-22/v1，按材质、年限、状况）；待核实、待评估者不计入分子（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）'),
                           'name_en': ('Share of gas pipelines past design age',
                                       'Share of ageing gas pipelines'),
                           'name_zh': ('燃气管线超设计年限比例', '燃气老化管线比例'),
                           'problem_en': ('{segments} gas segments ({over_km} km) are past their '
                                          'design life: renewal candidates',
                                          '{segments} gas segments ({over_km} km) are old: renewal '
                                          'candidates'),
                           'problem_zh': ('{segments} 段燃气管线（{over_km} km）超过设计年限，列入管线焕新候选',
                                          '{segments} 段燃气管线（{over_km} km）老化，列入管线焕新候选')},
 'pipeline_over_age.heat': {'formula_en': ('length of in-service heat pipelines with (check year − '
                                           'build year) > design life 30 a ÷ total in-service heat '
                                           'length × 100 (unknown build year: not in the '
                                           'numerator, in the denominator); renewal candidates',
                                           'length of in-service heat pipelines old by the ageing '
                                           'rule ÷ total in-service heat length × 100; old by '
                                           'State Council General Office Guo Ban Fa [2022] No. 22, '
                                           'plan for renewing ageing urban gas and other pipelines '
                                           '(2022–2025) (rule table gbf-2022-22/v1: material, '
                                           'years, condition); those to verify or assess are not '
                                           'in the numerator (as the registry stood at the end of '
                                           'the year: built or first recorded by then, not retired '
                                           'by then)'),
                            'formula_zh': ('在用热力管线中 (体检年 − 建设年代) > 设计年限 30 年 的长度 ÷ 在用热力管线总长 × '
                                           '100（建设年代不详的不计入分子，计入分母）；为管线焕新候选',
                                           '体检年末在用热力管线中按老化规则判定为老化的长度 ÷ 在用热力管线总长 × 100；老化判定按 '
                                           '国办发〔2022〕22号《城市燃气管道等老化更新改造实施方案（2022—2025年）》（规则表版本 '
                                           'gbf-2022-22/v1，按材质、年限、状况）；待核实、待评估者不计入分子（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）'),
                            'name_en': ('Share of heat pipelines past design age',
                                        'Share of ageing heat pipelines'),
                            'name_zh': ('热力管线超设计年限比例', '热力老化管线比例'),
                            'problem_en': ('{segments} heat segments ({over_km} km) are past their '
                                           'design life: renewal candidates',
                                           '{segments} heat segments ({over_km} km) are old: '
                                           'renewal candidates'),
                            'problem_zh': ('{segments} 段热力管线（{over_km} km）超过设计年限，列入管线焕新候选',
                                           '{segments} 段热力管线（{over_km} km）老化，列入管线焕新候选')},
 'pipeline_over_age.water_supply': {'formula_en': ('length of in-service water supply pipelines '
                                                   'with (check year − build year) > design life '
                                                   '50 a ÷ total in-service water supply length × '
                                                   '100 (unknown build year: not in the numerator, '
                                                   'in the denominator); renewal candidates',
                                                   'length of in-service water supply pipelines '
                                                   'old by the ageing rule ÷ total in-service '
                                                   'water supply length × 100; old by State '
                                                   'Council General Office Guo Ban Fa [2022] No. '
                                                   '22, plan for renewing ageing urban gas and '
                                                   'other pipelines (2022–2025) (rule table '
                                                   'gbf-2022-22/v1: material, years, condition); '
                                                   'those to verify or assess are not in the '
                                                   'numerator (as the registry stood at the end of '
                                                   'the year: built or first recorded by then, not '
                                                   'retired by then)'),
                                    'formula_zh': ('在用给水管线中 (体检年 − 建设年代) > 设计年限 50 年 的长度 ÷ '
                                                   '在用给水管线总长 × 100（建设年代不详的不计入分子，计入分母）；为管线焕新候选',
                                                   '体检年末在用给水管线中按老化规则判定为老化的长度 ÷ 在用给水管线总长 × '
                                                   '100；老化判定按 '
                                                   '国办发〔2022〕22号《城市燃气管道等老化更新改造实施方案（2022—2025年）》（规则表版本 '
                                                   'gbf-2022-22/v1，按材质、年限、状况）；待核实、待评估者不计入分子（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）'),
                                    'name_en': ('Share of water supply pipelines past design age',
                                                'Share of ageing water supply pipelines'),
                                    'name_zh': ('给水管线超设计年限比例', '给水老化管线比例'),
                                    'problem_en': ('{segments} water supply segments ({over_km} '
                                                   'km) are past their design life: renewal '
                                                   'candidates',
                                                   '{segments} water supply segments ({over_km} '
                                                   'km) are old: renewal candidates'),
                                    'problem_zh': ('{segments} 段给水管线（{over_km} km）超过设计年限，列入管线焕新候选',
                                                   '{segments} 段给水管线（{over_km} km）老化，列入管线焕新候选')},
 'shelter_area_per_capita': {'formula_en': ("Σ effective area of the division's open shelters ÷ "
                                            'resident population (city profile; not judged without '
                                            'it)',
                                            "Σ effective area of the division's shelters open at "
                                            'the end of the year ÷ resident population (city '
                                            'profile; not judged without it)'),
                             'formula_zh': ('辖区内开放的避难场所有效避难面积之和 ÷ 常住人口（城市概况；无则不作判定）',
                                            '体检年末辖区内开放的避难场所有效避难面积之和 ÷ 常住人口（城市概况；无则不作判定）')},
 'shelter_coverage': {'formula_en': ('area of the division within the service radius of any open '
                                     'shelter ÷ its area × 100 (in the EPSG:4549 plane; radius: '
                                     'emergency 500 m, fixed 2,000 m, central 5,000 m; shelters of '
                                     'neighbouring divisions count)',
                                     'built-up stand-in [I]: of the 250 m cells holding in-service '
                                     'registered pipe at the end of the year (where assets are '
                                     'registered is taken as built up; the registry has no '
                                     'built-up boundary), those whose centre lies within the '
                                     'service radius of any open shelter ÷ all of them × 100 '
                                     '(EPSG:4549 plane; radius: emergency 500 m, fixed 2,000 m, '
                                     "central 5,000 m; neighbours' shelters count); no data "
                                     'without pipe'),
                      'formula_zh': ('行政区内位于任一开放避难场所服务半径内的面积 ÷ 行政区面积 × 100（EPSG:4549 平面计算；半径：紧急 '
                                     '500 m、固定 2000 m、中心 5000 m，邻区场所亦计）',
                                     '建成区近似 [I]：体检年末登记有在用管线的 250 m '
                                     '网格（登记资产所在即建成区；登记库尚无建成区边界）中，网格中心位于任一开放避难场所服务半径内的 ÷ 网格总数 × '
                                     '100（EPSG:4549 平面；半径：紧急 500 m、固定 2000 m、中心 5000 '
                                     'm，邻区场所亦计）；无登记管线时无数据'),
                      'problem_en': ("{uncovered_km2} km² lie outside every shelter's service "
                                     'radius',
                                     '{uncovered_km2} km² of the registered built-up area lie '
                                     "outside every shelter's service radius"),
                      'problem_zh': ('{uncovered_km2} km² 不在任何避难场所服务半径内',
                                     '{uncovered_km2} km² 登记建成区不在任何避难场所服务半径内')},
 'tunnel_length': {'formula_en': ("Σ length of the division's in-service utility tunnels",
                                  "Σ length of the division's utility tunnels in service at the "
                                  'end of the year'),
                   'formula_zh': ('辖区内在用综合管廊长度之和', '体检年末辖区内在用综合管廊长度之和')},
 'tunnel_share.all': {'formula_en': ('length of in-service pipelines carried in tunnel cabins ÷ '
                                     'total in-service length × 100',
                                     'length of in-service pipelines carried in tunnel cabins ÷ '
                                     'total in-service length × 100 (as the registry stood at the '
                                     'end of the year: built or first recorded by then, not '
                                     'retired by then)'),
                      'formula_zh': ('敷设于综合管廊舱室的在用管线长度 ÷ 在用管线总长 × 100',
                                     '敷设于综合管廊舱室的在用管线长度 ÷ 在用管线总长 × '
                                     '100（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）')},
 'tunnel_share.drainage': {'formula_en': ('length of in-service drainage pipelines carried in '
                                          'tunnel cabins ÷ total in-service drainage length × 100',
                                          'length of in-service drainage pipelines carried in '
                                          'tunnel cabins ÷ total in-service drainage length × 100 '
                                          '(as the registry stood at the end of the year: built or '
                                          'first recorded by then, not retired by then)'),
                           'formula_zh': ('敷设于综合管廊舱室的在用排水管线长度 ÷ 在用排水管线总长 × 100',
                                          '敷设于综合管廊舱室的在用排水管线长度 ÷ 在用排水管线总长 × '
                                          '100（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）')},
 'tunnel_share.gas': {'formula_en': ('length of in-service gas pipelines carried in tunnel cabins '
                                     '÷ total in-service gas length × 100',
                                     'length of in-service gas pipelines carried in tunnel cabins '
                                     '÷ total in-service gas length × 100 (as the registry stood '
                                     'at the end of the year: built or first recorded by then, not '
                                     'retired by then)'),
                      'formula_zh': ('敷设于综合管廊舱室的在用燃气管线长度 ÷ 在用燃气管线总长 × 100',
                                     '敷设于综合管廊舱室的在用燃气管线长度 ÷ 在用燃气管线总长 × '
                                     '100（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）')},
 'tunnel_share.heat': {'formula_en': ('length of in-service heat pipelines carried in tunnel '
                                      'cabins ÷ total in-service heat length × 100',
                                      'length of in-service heat pipelines carried in tunnel '
                                      'cabins ÷ total in-service heat length × 100 (as the '
                                      'registry stood at the end of the year: built or first '
                                      'recorded by then, not retired by then)'),
                       'formula_zh': ('敷设于综合管廊舱室的在用热力管线长度 ÷ 在用热力管线总长 × 100',
                                      '敷设于综合管廊舱室的在用热力管线长度 ÷ 在用热力管线总长 × '
                                      '100（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）')},
 'tunnel_share.power': {'formula_en': ('length of in-service power pipelines carried in tunnel '
                                       'cabins ÷ total in-service power length × 100',
                                       'length of in-service power pipelines carried in tunnel '
                                       'cabins ÷ total in-service power length × 100 (as the '
                                       'registry stood at the end of the year: built or first '
                                       'recorded by then, not retired by then)'),
                        'formula_zh': ('敷设于综合管廊舱室的在用电力管线长度 ÷ 在用电力管线总长 × 100',
                                       '敷设于综合管廊舱室的在用电力管线长度 ÷ 在用电力管线总长 × '
                                       '100（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）')},
 'tunnel_share.telecom': {'formula_en': ('length of in-service telecom pipelines carried in tunnel '
                                         'cabins ÷ total in-service telecom length × 100',
                                         'length of in-service telecom pipelines carried in tunnel '
                                         'cabins ÷ total in-service telecom length × 100 (as the '
                                         'registry stood at the end of the year: built or first '
                                         'recorded by then, not retired by then)'),
                          'formula_zh': ('敷设于综合管廊舱室的在用通信管线长度 ÷ 在用通信管线总长 × 100',
                                         '敷设于综合管廊舱室的在用通信管线长度 ÷ 在用通信管线总长 × '
                                         '100（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）')},
 'tunnel_share.water_supply': {'formula_en': ('length of in-service water supply pipelines carried '
                                              'in tunnel cabins ÷ total in-service water supply '
                                              'length × 100',
                                              'length of in-service water supply pipelines carried '
                                              'in tunnel cabins ÷ total in-service water supply '
                                              'length × 100 (as the registry stood at the end of '
                                              'the year: built or first recorded by then, not '
                                              'retired by then)'),
                               'formula_zh': ('敷设于综合管廊舱室的在用给水管线长度 ÷ 在用给水管线总长 × 100',
                                              '敷设于综合管廊舱室的在用给水管线长度 ÷ 在用给水管线总长 × '
                                              '100（按体检年末的登记状态：建设年代/首次记录不晚于当年、当年末未退役）')},
 'waterlogging_elimination': {'formula_en': ('points eliminated in the year (eliminated_on within '
                                             'it) ÷ points open on 1 January × 100; a point '
                                             'existed by then when its first event, survey date or '
                                             'record date (the earliest) is before 1 January',
                                             'points eliminated in the year (eliminated_on within '
                                             'it) ÷ points open at the end of the previous year × '
                                             '100 (each as the registry stood then)'),
                              'formula_zh': ('年内消除（消除日期在体检年内）的积水点 ÷ 年初仍未消除的积水点 × 100；年初存在 = '
                                             '首次积水记录、普查日期或登记日期中最早者早于 1 月 1 日',
                                             '年内消除（消除日期在体检年内）的积水点 ÷ 上年末仍未消除的积水点 × 100（各按当时的登记状态）')},
 'waterlogging_points': {'formula_en': ('flood points in the division that are active (not '
                                        'eliminated, not retired)',
                                        'flood points in the division open at the end of the year '
                                        '(first recorded — first event, survey or entry, the '
                                        'earliest — by then, not eliminated or retired by then); '
                                        'no data (not surveyed) when the division had no flood '
                                        'point recorded by then'),
                         'formula_zh': ('辖区内未消除（状态为未消除、未退役）的易涝点个数',
                                        '体检年末辖区内未消除的易涝点个数（首次记录——首次积水、普查或登记日期中最早者——不晚于当年，当年末未消除、未退役）；当年末辖区尚无任何易涝点记录时为无数据（未普查），不作判定')}}

# code: (target op, target value, source zh, source en) — set where the target is still the shipped one
SOURCES = {'drainage_density': ('>=',
                      14.0,
                      '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                      "this registry's default reference value [I] (not an official target; a city "
                      "sets its province's figure and source in the year's catalogue)"),
 'hazards_closed_on_time': ('>=',
                            90.0,
                            '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                            "this registry's default reference value [I] (not an official target; "
                            "a city sets its province's figure and source in the year's "
                            'catalogue)'),
 'inspections_on_time': ('>=',
                         95.0,
                         '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                         "this registry's default reference value [I] (not an official target; a "
                         "city sets its province's figure and source in the year's catalogue)"),
 'pipeline_over_age.all': ('<=',
                           10.0,
                           '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                           "this registry's default reference value [I] (not an official target; a "
                           "city sets its province's figure and source in the year's catalogue)"),
 'pipeline_over_age.drainage': ('<=',
                                10.0,
                                '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                                "this registry's default reference value [I] (not an official "
                                "target; a city sets its province's figure and source in the "
                                "year's catalogue)"),
 'pipeline_over_age.gas': ('<=',
                           10.0,
                           '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                           "this registry's default reference value [I] (not an official target; a "
                           "city sets its province's figure and source in the year's catalogue)"),
 'pipeline_over_age.heat': ('<=',
                            10.0,
                            '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                            "this registry's default reference value [I] (not an official target; "
                            "a city sets its province's figure and source in the year's "
                            'catalogue)'),
 'pipeline_over_age.water_supply': ('<=',
                                    10.0,
                                    '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                                    "this registry's default reference value [I] (not an official "
                                    "target; a city sets its province's figure and source in the "
                                    "year's catalogue)"),
 'road_collapse_hazards': ('<=',
                           0.0,
                           '工作定义 [I]：应全部消除/销号（非官方目标值）',
                           'working definition [I]: all cleared (not an official figure)'),
 'shelter_area_per_capita': ('>=',
                             1.5,
                             '参考避难场所标准中的人均有效避难面积（GB 21734-2008、GB 51143-2015，条款待核实 [?]）',
                             'after the per-person effective area of the shelter standards (GB '
                             '21734-2008, GB 51143-2015; clause to verify [?])'),
 'shelter_coverage': ('>=',
                      80.0,
                      '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                      "this registry's default reference value [I] (not an official target; a city "
                      "sets its province's figure and source in the year's catalogue)"),
 'waterlogging_elimination': ('>=',
                              60.0,
                              '本系统默认参考值 [I]（非官方目标；城市可在本年指标目录中改为本省导则的数值与出处）',
                              "this registry's default reference value [I] (not an official "
                              "target; a city sets its province's figure and source in the year's "
                              'catalogue)'),
 'waterlogging_points': ('<=',
                         0.0,
                         '工作定义 [I]：应全部消除/销号（非官方目标值）',
                         'working definition [I]: all cleared (not an official figure)')}

indicators = sa.table('health_indicators', sa.column('code', sa.String),
                      sa.column('target_op', sa.String), sa.column('target_value', sa.Float),
                      sa.column('target_source_zh', sa.Text), sa.column('target_source_en', sa.Text),
                      *(sa.column(f, sa.Text) for f in ('name_zh', 'name_en', 'formula_zh',
                                                        'formula_en', 'problem_zh', 'problem_en')))


def _texts(old: int, new: int) -> None:
    for code, changed in TEXTS.items():
        for field, pair in changed.items():
            column = indicators.c[field]
            op.execute(indicators.update().where(indicators.c.code == code, column == pair[old])
                       .values({field: pair[new]}))


def upgrade() -> None:
    op.add_column('health_indicators', sa.Column('target_source_zh', sa.Text(), nullable=True))
    op.add_column('health_indicators', sa.Column('target_source_en', sa.Text(), nullable=True))
    _texts(0, 1)
    for code, (target_op, value, zh, en) in SOURCES.items():
        op.execute(indicators.update().where(
            indicators.c.code == code, indicators.c.target_op == target_op,
            indicators.c.target_value == value).values(target_source_zh=zh, target_source_en=en))


def downgrade() -> None:
    _texts(1, 0)
    op.execute('ALTER TABLE health_indicators DROP COLUMN target_source_en')
    op.execute('ALTER TABLE health_indicators DROP COLUMN target_source_zh')
