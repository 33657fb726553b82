"""How a hidden hazard is worded: titles never cut mid-word, a defect's hazard in one language.

Pure. A hazard's title is its name, else its description shortened at a word or clause
boundary (never ``description[:40]``). A hazard filed from a checklist answer is written in
the record's language — Chinese when its division or asset is named in Chinese, as every
GB/T 2260 division is — with the answer as the checklist shows it (an option's label, a
reading with its unit) and the inspector's remarks copied in.
"""

from __future__ import annotations

from typing import Any

TITLE_LENGTH = 40
NAME_LENGTH = 60
# Where a Chinese text may be cut: after a clause mark or a space (Chinese has no spaces
# between words, so any other cut may split one).
CLAUSE_MARKS = "，。；、：！？）》」』,.;:!?) \t\n"
OPENING_MARKS = "（《「『("


def _cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\u3000" <= char <= "\u303f"


def is_chinese(text: str | None) -> bool:
    """Whether the text has Chinese characters in it."""
    return any(_cjk(c) for c in text or "")


def _inside_word(text: str, end: int) -> bool:
    """Whether a cut before ``text[end]`` would split a word."""
    before, after = text[end - 1], text[end]
    if before in CLAUSE_MARKS or after in CLAUSE_MARKS or after in OPENING_MARKS:
        return False
    if _cjk(before) or _cjk(after):
        return True  # within a Chinese run: only a clause mark is a safe place
    return before.isalnum() and after.isalnum()


def shorten(text: str, limit: int = TITLE_LENGTH) -> str:
    """``text`` on one line, cut to at most ``limit`` characters at a word or clause boundary
    and ended with "…": a clause mark or space; in a Chinese run with none in its second
    half, a boundary between words (:mod:`chinese_words`); else at a character."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > limit // 2 and _inside_word(text, end):
        end -= 1
    if end <= limit // 2:  # no clause mark in the second half: a word boundary, if Chinese
        end = _word_end(text, limit - 1) if _cjk(text[limit - 2]) else limit - 1
    return text[:end].rstrip(" ,，、;；:：" + OPENING_MARKS) + "…"


def _word_end(text: str, most: int) -> int:
    """The last boundary between Chinese words at or before ``most`` (a character count in the
    second half of the text kept), from the segmenter; ``most`` when it finds none."""
    from inventory.inspections.chinese_words import boundaries

    cuts = [c for c in boundaries(text[:most + 12]) if most // 2 < c <= most]
    return max(cuts) if cuts else most


def title(name: str | None, description: str | None, limit: int = TITLE_LENGTH) -> str:
    """What lists, notifications and map points call a hazard."""
    return shorten(name or description or "", limit)


def answer_text(item: dict[str, Any], value: Any, zh: bool) -> str:
    """An answer as the checklist shows it: 是/否, an option's label, a reading with its unit."""
    if value is True or value is False:
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if item.get("kind") == "choice":
        option = next((o for o in item.get("options") or [] if o.get("code") == value), None)
        if option is not None:
            return str(option["zh" if zh else "en"])
    unit = item.get("unit")
    return f"{value} {unit}" if unit and isinstance(value, int | float) else str(value)


def defect_hazard(item: dict[str, Any], value: Any, notes: list[tuple[dict[str, Any], str]],
                  template_name: str, task_id: int, zh: bool, limit: int = 4000
                  ) -> tuple[str, str]:
    """The name and description of the hazard a defect answer files, in one language.

    ``notes`` are the submission's text answers (the inspector's remarks) with their items;
    they are copied whole unless the description would pass ``limit`` characters.
    """
    room = (limit - 400) // max(len(notes), 1)
    notes = [(n, text if len(text) <= room else shorten(text, room)) for n, text in notes]
    label = str(item["zh" if zh else "en"]).strip()
    answer = answer_text(item, value, zh)
    name = shorten(f"{label}：{answer}" if zh else f"{label}: {answer}", NAME_LENGTH)
    if zh:
        lines = [f"巡检发现：{label}——{answer}。"]
        lines += [f"{n['zh']}：{text.strip()}" for n, text in notes]
        lines.append(f"（{template_name}，巡检任务 #{task_id}）")
    else:
        lines = [f"Found on inspection: {label} — {answer}."]
        lines += [f"{n['en']}: {text.strip()}" for n, text in notes]
        lines.append(f"({template_name}, inspection task #{task_id})")
    return name, "\n".join(lines)
