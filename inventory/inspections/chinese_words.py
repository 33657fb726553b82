"""Where a Chinese text may be cut without splitting a word: jieba's segmentation, taught the
registry's own vocabulary.

Chinese has no spaces between words, so a title cut at a character count can end in half a
word (燃气管道 → 燃气管…). jieba (MIT, the common dictionary-based segmenter) finds the word
boundaries; the code lists' Chinese names (pipeline categories and sub-categories, materials,
hazard categories…) are added to its dictionary with the 管道/管线 compounds, so a registry
term is one word (its default dictionary splits 燃气管道 as 燃气管 | 道旁 in 燃气管道旁).
Loaded on first use only (about 0.7 s and 50 MB), since most texts have a clause mark to cut at.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

SUFFIXES = ("管道", "管线", "管")


def _vocabulary() -> set[str]:
    from inventory.inspections.hazards import HAZARD_CATEGORIES
    from resilience import codes

    words: set[str] = set()
    for name in dir(codes):
        value = getattr(codes, name)
        if isinstance(value, codes.CodeList):
            words.update(c.zh for c in value if c.zh)
    words.update(c.zh for c in HAZARD_CATEGORIES if c.zh)
    for category in codes.PIPELINE_CATEGORIES:
        words.update(category.zh + s for s in SUFFIXES)
    for sub in codes.PIPELINE_SUBCATEGORIES:
        words.update(sub.zh + s for s in SUFFIXES)
    return {w for w in words if 1 < len(w) <= 12}


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()  # jieba locks its own loading
    for word in sorted(_vocabulary()):
        tokenizer.add_word(word, freq=100_000)
    return tokenizer


def boundaries(text: str) -> list[int]:
    """The offsets between words of ``text`` (0 and len(text) included)."""
    cuts = [0]
    for _, _, end in _segmenter().tokenize(text):
        cuts.append(int(end))
    return cuts
