"""A hazard's title is never cut mid-word; a defect's hazard is worded in one language."""

from __future__ import annotations

from inventory.inspections import hazard_wording as w
from inventory.inspections.presets import GAS_PATROL

ITEMS = {i["code"]: i for i in GAS_PATROL["items"]}


def test_titles_are_cut_between_words_and_clauses() -> None:
    english = "Manhole cover on Wensan Road cracked across its hinge and rocking under buses"
    short = w.shorten(english, 40)
    assert short == "Manhole cover on Wensan Road cracked…" and len(short) <= 40
    chinese = "雨水检查井井盖一角缺损，车辆碾压有翻转坠落风险，夜间无照明，需立即设置围挡并更换井盖"
    cut = w.shorten(chinese, 30)
    assert cut == "雨水检查井井盖一角缺损，车辆碾压有翻转坠落风险，夜间无照明…"
    assert w.shorten("DN300给水管接口渗漏", 40) == "DN300给水管接口渗漏"
    assert w.title("文三路井盖", chinese) == "文三路井盖"
    assert w.title(None, chinese).endswith("…") and not w.title(None, chinese).endswith("，…")


def test_a_chinese_run_without_punctuation_is_cut_between_words() -> None:
    """Before: with no clause mark in its second half, a Chinese text was cut at a character
    count, splitting 燃气管道 (人行道下燃气…). Now at a boundary between words, the registry's
    terms (燃气管道, 井盖, 排水管道) each one word."""
    run = "人行道下燃气管道旁违规开挖施工存在燃气泄漏和路面塌陷风险"
    assert w.shorten(run, 7) == "人行道下…"
    assert w.shorten(run, 12) == "人行道下燃气管道旁违规…"
    for limit in range(8, 30):
        kept = w.shorten(run, limit)[:-1]
        assert len(kept) < limit and run.startswith(kept)
        assert not kept.endswith(("燃气管", "燃气管道旁违", "路面塌", "开")), (limit, kept)
    assert w.shorten("排水管道检查井井盖破损缺失存在行人坠落风险需尽快更换", 9) == "排水管道检查井…"


def test_a_defect_is_worded_in_the_records_language_with_the_remarks() -> None:
    notes = [(ITEMS["remarks"], "标志桩被施工车辆撞倒，已通知燃气公司")]
    name, text = w.defect_hazard(ITEMS["markers"], "damaged", notes, "燃气管线巡查", 12, True)
    assert name == "管线标志桩/警示牌完好：破损/缺失"
    assert text.splitlines() == ["巡检发现：管线标志桩/警示牌完好——破损/缺失。",
                                 "备注：标志桩被施工车辆撞倒，已通知燃气公司",
                                 "（燃气管线巡查，巡检任务 #12）"]
    assert not any(c.isascii() and c.isalpha() for c in name + text)
    _, reading = w.defect_hazard(ITEMS["lel"], 5, [], "燃气管线巡查", 12, True)
    assert "可燃气体检测浓度——5 %LEL" in reading
    en_name, en_text = w.defect_hazard(ITEMS["gas_smell"], True, [], "Gas-pipeline patrol", 3,
                                       False)
    assert en_name == "Smell of gas: yes" and not w.is_chinese(en_text)
