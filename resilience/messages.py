"""Human messages for problem codes, in Chinese and English, shared by the API and the CLI."""

from __future__ import annotations

from typing import Any

from resilience.errors import Problem

MESSAGES: dict[str, tuple[str, str]] = {
    # code: (English, Chinese); {params} are filled in.
    "required": ("is required", "必填"),
    "unknown_property": ("is not a property of this collection", "不是该数据集的属性"),
    "unknown_member": ("is not a member of a GeoJSON Feature", "不是 GeoJSON 要素的成员"),
    "unknown_code": ("'{value}' is not an allowed code (allowed: {allowed})",
                     "“{value}”不是允许的代码（允许：{allowed}）"),
    "not_a_string": ("must be text", "应为文本"),
    "not_an_integer": ("'{value}' is not an integer", "“{value}”不是整数"),
    "not_a_number": ("'{value}' is not a number", "“{value}”不是数字"),
    "not_a_date": ("'{value}' is not a date (YYYY-MM-DD)", "“{value}”不是日期（YYYY-MM-DD）"),
    "not_a_boolean": ("'{value}' is not true or false", "“{value}”不是是/否"),
    "not_a_list": ("must be a list", "应为列表"),
    "not_integers": ("must be a list of integers", "应为整数列表"),
    "not_strings": ("must be a list of texts", "应为文本列表"),
    "not_an_object": ("must be an object", "应为对象"),
    "too_long": ("is longer than {max} characters", "超过 {max} 个字符"),
    "not_utf8": ("is not UTF-8 text", "不是 UTF-8 编码的文本"),
    "invalid_character": ("contains a character that cannot be stored ({value})",
                          "含有无法存储的字符（{value}）"),
    "too_small": ("{value} is below the minimum {min}", "{value} 小于最小值 {min}"),
    "too_large": ("{value} is above the maximum {max}", "{value} 大于最大值 {max}"),
    "must_be_positive": ("must be greater than 0 (got {value})", "应大于 0（当前 {value}）"),
    "in_future": ("{value} is in the future", "{value} 晚于今天"),
    "not_a_feature": ("the body must be a GeoJSON Feature", "请求体应为 GeoJSON 要素（Feature）"),
    "not_a_geometry": ("must be a GeoJSON geometry", "应为 GeoJSON 几何"),
    "malformed_geometry": ("is not a well-formed {type} geometry", "不是格式正确的 {type} 几何"),
    "wrong_geometry_type": ("{value} is not allowed here (allowed: {allowed})",
                            "此处不允许 {value}（允许：{allowed}）"),
    "empty_geometry": ("is empty", "为空"),
    "zero_length": ("has zero length", "长度为零"),
    "too_many_vertices": ("has more than {max} vertices", "顶点数超过 {max}"),
    "non_finite_coordinates": ("has coordinates that are not finite numbers", "坐标含非有限数值"),
    "invalid_geometry": ("is not valid: {reason}", "几何无效：{reason}"),
    "attachment_type": ("'{value}' is not a kind of file that can be attached (allowed: {allowed})",
                        "“{value}”类型的文件不能作为附件（允许：{allowed}）"),
    "attachment_too_large": ("is larger than {max} bytes", "超过 {max} 字节"),
    "too_many_attachments": ("an asset holds at most {max} attachments", "每个设施最多 {max} 个附件"),
    "not_in_table": ("{factor} = {value} is not a value of the {method} table (allowed: {allowed})",
                     "{factor} 的取值 {value} 不在 {method} 取值表中（允许：{allowed}）"),
    "no_band": ("the score {value} falls in no band of the scheme; check the scheme's bands",
                "分值 {value} 不在该方案的任何分级区间内，请检查方案的分级区间"),
    "four_numbers": ("must be four numbers, the cut-offs between the five levels (got {value})",
                     "应为 4 个数值，即五个等级之间的分界值（当前 {value}）"),
    "not_increasing": ("the cut-offs {value} must be above 0 and increase from left to right",
                       "分界值 {value} 应大于 0 且从左到右递增"),
    "negative_weight": ("the weight {value} is negative; weights are 0 or more",
                        "权重 {value} 为负数，权重应大于或等于 0"),
    "exceeds": ("{value} is more than {other} ({max})", "{value} 大于{other}（{max}）"),
    "out_of_range": ("{value} is outside the allowed range {min} to {max}",
                     "{value} 超出允许范围（{min} 至 {max}）"),
    "condition_order": ("the condition scores {value} must not fall as the grade worsens "
                        "(1 best … 4 worst) and lie in 0–1, or a poorer asset would lower a "
                        "colour", "状况分值 {value} 应在 0–1 之间且随等级变差（1 最好…4 最差）而不降低，"
                        "否则较差的设施会使颜色变低"),
    "bands_gap": ("the score {value} falls in no band: every score the factors can give needs "
                  "one", "分值 {value} 不在任何分级区间内：因子可能得出的每个分值都应有对应区间"),
    "bands_overlap": ("the score {value} falls in two bands", "分值 {value} 同时落在两个分级区间内"),
    "bands_order": ("the score {value} gets a lower level than a smaller score; levels must "
                    "rise with the score", "分值 {value} 的等级低于更小分值的等级，等级应随分值升高"),
    "name_taken": ("'{value}' is already the name of a five-colour scheme",
                   "“{value}”已是五色图方案的名称"),
    "preset_read_only": ("'{value}' is a published preset and cannot be changed; save the scheme "
                         "under another name", "“{value}”是已发布的预置方案，不能修改，请以其他名称保存"),
    "read_only_collection": ("'{value}' is read-only: it is computed by the risk run or kept by "
                             "the registry, not edited or imported",
                             "“{value}”为只读数据集（由风险计算生成或由系统维护），不能编辑或导入"),
    "not_an_email": ("'{value}' is not an e-mail address", "“{value}”不是有效的电子邮件地址"),
    "geometry_not_in_layer": ("a {value} does not belong in layer {layer}, which holds "
                              "{expected} only: write it through the layer of its type or "
                              "the whole collection",
                              "图层 {layer} 只含 {expected}，{value} 不属于该图层："
                              "请通过对应类型的图层或整个数据集写入"),
    "not_importable": ("'{value}' is not loaded from files: each record is filed on its own "
                       "and starts its own trail", "“{value}”不能通过文件导入：需逐条登记，各自留痕"),
    "missing_column": ("the file has no column for the required field {value} ({label})",
                       "文件缺少必填字段 {value}（{label}）对应的列"),
    "point_not_found": ("point '{value}' is in neither the point table nor the registry",
                        "点号“{value}”既不在管线点表中，也不在库中"),
    "duplicate_segment": ("the segment {start} → {end} is already on row {first}",
                          "管段 {start} → {end} 与第 {first} 行重复"),
    "reversed_segment": ("the segment {start} → {end} repeats row {first} reversed",
                         "管段 {start} → {end} 与第 {first} 行方向相反而重复"),
    "depth_inconsistent": ("point {point} has depths {depths} on the segments that meet there "
                           "(more than {tolerance} m apart)",
                           "点 {point} 在相连管段上的埋深为 {depths}（相差超过 {tolerance} 米）"),
    "not_a_line_table": ("'{value}' is not a line table: it needs start and end point numbers "
                         "({allowed})", "“{value}”不是管线段表：需要起点点号和终点点号（{allowed}）"),
    "not_a_point_table": ("'{value}' is not a point table: it needs point numbers and X/Y "
                          "({allowed})", "“{value}”不是管线点表：需要物探点号和 X/Y 坐标（{allowed}）"),
    "upload_removed": ("the file of import {value} has been removed", "导入 {value} 的文件已删除"),
    "not_yours": ("import {value} was made by someone else", "导入 {value} 由他人发起"),
    "outside_city": ("lies outside the city's extent {extent}", "超出城市范围 {extent}"),
    "outside_divisions": ("lies in no division of the registry", "不在任何已登记的行政区划内"),
    "subcategory_mismatch": ("'{value}' is not a sub-category of '{category}'",
                             "“{value}”不是“{category}”的小类"),
    "subcategory_conflict": ("'{value}' is another sub-category than the one '{category}' names",
                             "“{value}”与“{category}”所指的小类不一致"),
    "mapping_wrong_category": ("the mapping file maps '{value}', which names {category}, to "
                               "'{code}' of {parent}",
                               "映射文件将属于{category}的“{value}”映射为属于{parent}的“{code}”"),
    "only_for_gas": ("applies to gas lines only (category is '{category}')",
                     "仅适用于燃气管线（当前大类为“{category}”）"),
    "only_for_power": ("applies to power lines only (category is '{category}')",
                       "仅适用于电力管线（当前大类为“{category}”）"),
    "section_needs_both": ("a section size needs both width and height", "断面尺寸需同时填写宽和高"),
    "capacity_over_area": ("{value} persons exceed what the effective area holds ({max})",
                           "{value} 人超过有效面积可容纳人数（{max}）"),
    "emergency_unit_too_large": ("an emergency shelter unit holds at most {max} persons",
                                 "紧急避难场所单元最多容纳 {max} 人"),
    "required_when": ("is required when {other} is '{value}'", "当 {other} 为“{value}”时必填"),
    "only_when": ("may be set only when {other} is '{value}'", "仅当 {other} 为“{value}”时可填"),
    "invalid_position": ("must be [longitude, latitude]", "应为 [经度, 纬度]"),
    "bad_encoding": ("is neither UTF-8 nor GB18030 text", "既不是 UTF-8 也不是 GB18030 编码的文本"),
    "empty": ("holds no rows", "没有数据行"),
    "invalid_division_code": ("'{value}' is not a GB/T 2260 code (6 digits, or 9 for a street "
                              "or township)", "“{value}”不是 GB/T 2260 区划代码（6 位，街道乡镇 9 位）"),
    "division_outside_city": ("'{value}' is not a division of this registry's city {city}",
                              "“{value}”不属于本系统的城市 {city}"),
    "column_not_found": ("no column found (tried {tried}; the file has {allowed}): name it",
                         "找不到该列（已尝试 {tried}；文件中有 {allowed}），请指定列名"),
    "unknown_column": ("'{value}' is not a column of the file (columns: {allowed})",
                       "“{value}”不是文件中的列（列：{allowed}）"),
    "outside_parent": ("{share} of {value} lies outside {parent}, the division above it",
                       "{value} 有 {share} 超出其上级区划 {parent}"),
    "overlaps": ("{value} overlaps {other} by {share} of their parent's area",
                 "{value} 与 {other} 重叠，占上级区划面积的 {share}"),
    "leaves_hole": ("the divisions under {value} leave {share} of it uncovered",
                    "{value} 的下级区划未覆盖其 {share} 的面积"),
    "unknown_city_code": ("'{value}' is not a province or city code (GB/T 2260, 6 digits such as "
                          "330100); find yours with `resilience divisions codes NAME`, e.g. "
                          "`resilience divisions codes 宁波`",
                          "“{value}”不是省或设区市的行政区划代码（GB/T 2260，6 位，如 330100）；"
                          "用 `resilience divisions codes 名称` 查找，如 `resilience divisions codes 宁波`"),
    "unknown_division": ("'{value}' is not a known division code", "“{value}”不是已知的区划代码"),
    "division_mismatch": ("'{value}' does not contain the geometry (it lies in {found})",
                          "“{value}”不包含该几何（几何位于 {found}）"),
    "division_not_granted": ("division {value} is not granted to you", "您无权操作区划 {value}"),
    "database_unavailable": ("the database cannot be reached; try again shortly",
                             "暂时无法连接数据库，请稍后重试"),
    "user_not_managed": ("user {value} is not within your divisions",
                         "用户 {value} 不在您管辖的区划内"),
    "whole_registry_only": ("only a user granted the whole registry may change this",
                            "仅被授予整个辖区（根区划）的用户可修改此项"),
    "division_required": ("grant at least one division within yours",
                          "请至少授予一个您管辖范围内的区划"),
    "reference_not_found": ("{collection} {value} does not exist", "{collection} {value} 不存在"),
    "same_start_end": ("start and end point are the same", "起点与终点相同"),
    "already_in_cabin": ("pipeline {value} is already carried in another cabin",
                         "管线 {value} 已在其他舱室中"),
    "unknown_crs": ("'{value}' is not a supported CRS", "“{value}”不是支持的坐标参考系"),
    "invalid_bbox": ("must be four or six numbers, lower corner first",
                     "应为 4 或 6 个数值，先写左下角"),
    "invalid_limit": ("must be an integer from 1 to {max}", "应为 1 到 {max} 之间的整数"),
    "tile_zoom_out_of_range": ("zoom {value} is not from {min} to {max}",
                               "缩放级别 {value} 不在 {min} 到 {max} 之间"),
    "tile_index_out_of_range": ("{value} is not a tile index from 0 to {max} at zoom {zoom}",
                                "{value} 不是缩放级别 {zoom} 下 0 到 {max} 之间的瓦片编号"),
    "unknown_parameter": ("is not a query parameter of this resource", "不是该资源的查询参数"),
    "not_sortable": ("'{value}' is not a column the list can be sorted by", "“{value}”不是可排序的列"),
    # The items API's filter and datetime (inventory/repository/cql.py, temporal.py).
    "invalid_filter": ("cannot be read: {reason} (at character {position})",
                       "无法解析：{reason}（第 {position} 个字符处）"),
    "invalid_literal": ("'{value}' is not a value of {property} ({expected})",
                        "“{value}”不是 {property} 的有效取值（{expected}）"),
    "property_comparison": ("compares {property} with another property; compare it with a value",
                            "将 {property} 与另一属性比较；只能与取值比较"),
    "invalid_filter_lang": ("'{value}' is not a filter language offered (offered: {allowed})",
                            "“{value}”不是支持的筛选语言（支持：{allowed}）"),
    "not_queryable": ("'{value}' is not a queryable of this collection (see its queryables)",
                      "“{value}”不是该数据集的可查询属性（见其 queryables）"),
    "unsupported_filter": ("{value} is not supported in filters", "筛选条件不支持 {value}"),
    "operator_not_applicable": ("{value} does not apply to {property}", "{value} 不适用于 {property}"),
    "filter_too_complex": ("has more than {max} conditions, values or levels of nesting",
                           "条件、取值或嵌套层数超过 {max}"),
    "invalid_datetime": ("'{value}' is not an instant or interval (RFC 3339; start/end, with "
                         "'..' or nothing for an open end)",
                         "“{value}”不是时刻或时间段（RFC 3339；起/止，开放端用“..”或留空）"),
    "invalid_page_size": ("'{value}' is not a page size (choose {allowed})",
                          "“{value}”不是可选的每页条数（可选 {allowed}）"),
    "invalid_json": ("is not valid JSON: {reason}", "不是有效的 JSON：{reason}"),
    "payload_too_large": ("the body is larger than {max} bytes", "请求体超过 {max} 字节"),
    "not_found": ("'{value}' does not exist", "“{value}”不存在"),
    "duplicate": ("'{value}' already exists", "“{value}”已存在"),
    "invalid_username": ("'{value}' is not a valid user name", "“{value}”不是有效的用户名"),
    "password_too_short": ("must have at least {min} characters", "至少 {min} 个字符"),
    "too_short": ("must have at least {min} characters", "至少 {min} 个字符"),
    "too_common": ("is one of the most common passwords; choose another",
                   "属于最常见的密码，请另选一个"),
    "contains_username": ("must not be or contain the user name", "不能是用户名，也不能包含用户名"),
    "invalid_credentials": ("wrong user name, password or token", "用户名、密码或令牌错误"),
    "credentials_required": ("sign in, or send a token or a user name and password",
                             "请登录，或提供令牌或用户名和密码"),
    "too_many_attempts": ("too many failed sign-ins: try again in {minutes} min",
                          "登录失败次数过多，请 {minutes} 分钟后再试"),
    "stale_version": ("the record changed (now version {current}); reload and merge",
                      "记录已被修改（当前版本 {current}），请刷新后合并"),
    "not_retired": ("the record is not retired", "记录未注销"),
    "retired": ("the record is retired", "记录已注销"),
    "precondition_required": ("send If-Match with the version you edited",
                              "请在 If-Match 中提供所编辑的版本"),
    "invalid_value": ("'{value}' is not valid here", "“{value}”在此无效"),
    "unsupported_format": ("'{value}' is not a supported file type (supported: {allowed})",
                           "不支持“{value}”类型的文件（支持：{allowed}）"),
    "duplicate_in_file": ("'{value}' appears twice in the file (first on row {first})",
                          "“{value}”在文件中重复（首次出现在第 {first} 行）"),
    "no_rows": ("the file holds no rows", "文件中没有数据行"),
    "already_undone": ("import {value} was already undone", "导入 {value} 已撤销"),
    "properties_not_an_object": ("properties must be an object", "properties 应为对象"),
    "empty_file": ("{value} is empty", "{value} 是空文件"),
    "wrong_encoding": ("the file cannot be read as {value}", "无法按 {value} 编码读取该文件"),
    "no_header": ("the first line holds no column names", "首行没有列名"),
    "invalid_mapping_file": ("the mapping file is not valid: {reason}", "映射文件无效：{reason}"),
    "unknown_field": ("'{value}' is not a field of {collection}", "“{value}”不是 {collection} 的字段"),
    "unreadable_file": ("'{value}' cannot be read as {format}: {reason}",
                        "无法按 {format} 读取“{value}”：{reason}"),
    "not_a_zip": ("'{value}' is not a readable zip archive: {reason}",
                  "“{value}”不是可读取的 zip 压缩包：{reason}"),
    "unsafe_archive_path": ("the archive member '{value}' would be unpacked outside its folder "
                            "or is a link; the archive is refused",
                            "压缩包中的“{value}”会解压到目标文件夹之外或为链接，已拒绝该压缩包"),
    "archive_too_large": ("'{value}' unpacks to {size} bytes, more than the {max} allowed "
                          "(an oversized archive or a zip bomb)",
                          "“{value}”解压后为 {size} 字节，超过允许的 {max} 字节（压缩包过大或为压缩炸弹）"),
    "no_layer_in_archive": ("'{value}' holds no Shapefile (.shp), File Geodatabase (.gdb) "
                            "or GeoPackage (.gpkg)",
                            "“{value}”中没有 Shapefile（.shp）、文件地理数据库（.gdb）或 GeoPackage（.gpkg）"),
    "choose_layer": ("the file holds several layers; choose one of: {allowed}",
                     "文件包含多个图层，请选择其一：{allowed}"),
    "unknown_layer": ("'{value}' is not a layer of the file (layers: {allowed})",
                      "“{value}”不是该文件的图层（图层：{allowed}）"),
    "unknown_sheet": ("'{value}' is not a worksheet of the workbook (sheets: {allowed})",
                      "“{value}”不是该工作簿的工作表（工作表：{allowed}）"),
    "empty_sheet": ("the worksheet '{value}' holds no rows", "工作表“{value}”中没有数据"),
    "too_long_for_format": ("holds {value} characters or bytes, more than {format} allows ({max}); "
                            "export as GeoPackage or GeoJSON",
                            "长度 {value} 超过 {format} 的上限（{max}），请导出为 GeoPackage 或 GeoJSON"),
    "too_many_rows": ("{value} records are more than {format} holds ({max}); export as CSV or "
                      "GeoPackage", "{value} 条记录超过 {format} 的上限（{max}），请导出为 CSV 或 GeoPackage"),
}


def describe(problem: Problem, locale: str = "en") -> str:
    """The problem's message in the locale ("zh…" → Chinese), with its parameters filled in."""
    en, zh = MESSAGES.get(problem.code, (problem.code.replace("_", " "),) * 2)
    template = zh if locale.lower().startswith("zh") else en
    params = {k: _fmt(v) for k, v in problem.params.items()}
    chinese = locale.lower().startswith("zh")
    # A scheme's own problems name the factor by the field and leave the method unsaid.
    params.setdefault("factor", problem.field)
    params.setdefault("method", "该方法" if chinese else "method's")
    try:
        text = template.format(**params)
    except (KeyError, IndexError):
        text = template
    hint = HINTS.get(str(problem.params.get("hint")))
    if hint is not None:
        advice = hint[1] if chinese else hint[0]
        try:
            advice = advice.format(**params)
        except (KeyError, IndexError):
            pass
        text += (" —— " if chinese else " — ") + advice
    return text


# Why a geometry may lie outside the city, said as advice (``params["hint"]``).
HINTS: dict[str, tuple[str, str]] = {
    "swapped": ("latitude and longitude look swapped", "经纬度似乎颠倒了"),
    "projected": ("the numbers look like projected metres: declare the CRS (--crs, e.g. {zone}, "
                  "the city's Gauss-Krüger zone)",
                  "坐标像是投影坐标（米）：请声明坐标系（--crs，如本市高斯-克吕格投影带 {zone}）"),
    "geographic": ("the coordinates look like longitude/latitude, not the declared CRS {crs}",
                   "坐标像是经纬度，与声明的坐标系 {crs} 不符"),
    "other_zone": ("the coordinates look like another Gauss-Krüger zone or lack the zone prefix",
                   "坐标像是其他高斯-克吕格投影带，或缺少带号"),
}


def _fmt(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def as_dicts(problems: list[Problem], locale: str = "en") -> list[dict[str, Any]]:
    """Problems as the API's ``errors`` list: ``{row?, field, code, message}``."""
    out = []
    for p in problems:
        item: dict[str, Any] = {"field": p.field, "code": p.code, "message": describe(p, locale)}
        if p.row is not None:
            item = {"row": p.row, **item}
        out.append(item)
    return out


# The hidden-hazard loop (inventory/inspections/hazard_flow.py, DOMAIN.md §4).
MESSAGES.update({
    "action_not_for_role": ("a {role} may not '{value}' a hidden hazard (allowed: {allowed})",
                            "角色 {role} 不能对隐患执行“{value}”（允许：{allowed}）"),
    "transition_not_allowed": ("'{value}' cannot move a hazard from {from} to {to} "
                               "(possible now: {allowed})",
                               "隐患不能由 {from} 经“{value}”转为 {to}（当前可执行：{allowed}）"),
    "required_before": ("is required before '{action}' ({label})", "执行“{action}”前必填（{label}）"),
    "after_photo_required": ("attach at least one photo taken after the fix first",
                             "请先上传至少一张整改后照片"),
    "supervision_major_only": ("only a major hazard can be supervised (挂牌督办); this one is "
                               "'{value}'", "只有重大隐患可以挂牌督办（当前等级为“{value}”）"),
    "hazard_closed": ("hazard {value} is closed (销号)", "隐患 {value} 已销号"),
    "state_by_transition": ("the state ({current}) changes only by a step of the loop "
                            "(POST /api/hazards/{{id}}/transitions), not to '{value}' by an edit",
                            "状态（{current}）只能通过闭环步骤变更，不能直接改为“{value}”"),
    "field_by_step": ("is set only by the '{step}' step of the loop, not by an edit "
                      "(now {current})", "只能通过闭环步骤“{step}”变更，不能直接修改（当前为 {current}）"),
    "review_by_other": ("a supervised hazard is accepted and closed by someone other than "
                        "{user}, who submitted its rectification", "挂牌督办隐患须由整改提交人 {user} "
                        "以外的人员复查验收、销号"),
    "acceptance_required": ("is required to close a supervised hazard (the supervising unit's "
                            "acceptance)", "挂牌督办隐患销号须填写督办单位验收信息"),
    "already_supervised": ("the hazard is already supervised (挂牌督办); its unit and deadline "
                           "are not set again", "隐患已挂牌督办，督办单位和期限不能重新设定"),
    "grade_unchanged": ("the hazard is already '{value}'", "隐患等级已是“{value}”"),
    "supervised_stays_major": ("a supervised (挂牌督办) hazard stays major; not '{value}'",
                               "挂牌督办隐患不能降为“{value}”"),
    "extension_not_later": ("an extension must be later than the current deadline {current}",
                            "延期后的时限须晚于当前时限 {current}"),
    "deadline_by_extension": ("once graded, the deadline ({current}) changes only by an "
                              "extension (延期) with a reason", "定级后整改时限（{current}）只能通过延期变更"),
    "invalid_period": ("'{value}' is not a period (2026, 2026-Q1, 2026-03, or from/to dates)",
                       "“{value}”不是有效的期间（如 2026、2026-Q1、2026-03 或起止日期）"),
})


# The city health check (risk/healthcheck, DOMAIN.md §5).
MESSAGES.update({
    "unknown_indicator": ("'{value}' is not an indicator of this year's health check",
                          "“{value}”不是本年度城市体检的指标"),
    "indicator_computed": ("'{value}' is computed from the registry and cannot be entered",
                           "“{value}”由系统计算，不能填报"),
    "wrong_unit": ("the unit '{value}' is not the indicator's ({unit})",
                   "单位“{value}”与指标单位（{unit}）不符"),
    "check_final": ("the {year} health check is final and can no longer change",
                    "{year} 年度体检已定稿，不能再修改"),
})


# Checklists, plans and inspection tasks (inventory/inspections/checklists.py, plans.py, tasks.py).
MESSAGES.update({
    "unknown_item": ("'{value}' is not an item of this checklist", "“{value}”不是本检查表的检查项"),
    "photo_required": ("a photo is required", "须拍摄照片"),
    "not_a_photo_list": ("must be a list of photo references", "应为照片列表"),
    "too_many_photos": ("has more than {max} photos", "照片超过 {max} 张"),
    "invalid_item_code": ("'{value}' is not a valid code (lower-case letters, digits, _)",
                          "“{value}”不是有效代码（小写字母、数字、下划线）"),
    "duplicate_item": ("'{value}' appears twice", "“{value}”重复"),
    "invalid_options": ("options need distinct, non-empty codes", "选项代码须唯一且非空"),
    "invalid_rrule": ("'{value}' is not an RFC 5545 recurrence rule ({reason})",
                      "“{value}”不是有效的 RFC 5545 重复规则（{reason}）"),
    "rrule_too_frequent": ("'{value}' recurs more often than daily", "“{value}”的频次高于每天一次"),
    "recurrence_or_risk_based": ("give a recurrence rule or risk-based frequencies, not both",
                                 "重复规则与按风险定频只能二选一"),
    "frequency_order": ("{level} ('{value}') is visited less often than {lower} ('{lower_value}'); "
                        "it must be inspected at least as often",
                        "{level_zh}的频次（“{value}”）低于{lower_zh}（“{lower_value}”），巡检不得少于后者"),
    "assignee_or_team": ("give an assignee or a team role, one of them",
                         "须指定执行人或班组角色（二选一）"),
    "unknown_user": ("'{value}' is not a user", "“{value}”不是系统用户"),
    "template_not_applicable": ("this checklist does not apply to {value} (it applies to: {allowed})",
                                "该检查表不适用于 {value}（适用于：{allowed}）"),
    "invalid_client_id": ("must be the client's id for this record ({min}–{max} characters)",
                          "应为客户端生成的记录编号（{min}–{max} 个字符）"),
    "client_id_reused": ("'{value}' was already used for another task",
                         "“{value}”已用于另一个任务"),
    "task_cancelled": ("task {value} was cancelled", "任务 {value} 已取消"),
    "task_done": ("task {value} is already done", "任务 {value} 已完成"),
    "not_a_position": ("must be [longitude, latitude]", "应为 [经度, 纬度]"),
})


# The inspector's phone pages and the asset status page (web/pages/inspect.py, status.py).
MESSAGES.update({
    "not_an_image": ("is not a photo (allowed: {allowed})", "不是照片（允许：{allowed}）"),
    "image_too_large": ("the picture has {value} pixels, more than {max}",
                        "图片像素为 {value}，超过 {max}"),
    "status_rule_invalid": ("'{value}' is not a fact a status rule can test: a level "
                            "({allowed}) with 'equals', a count with 'at_least'",
                            "“{value}”不是状态规则可判断的事实：等级用 equals，数量用 at_least（可用：{allowed}）"),
})
