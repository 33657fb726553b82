"""The compiled catalogue matches its .po source, and every page string has a translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "translations/zh/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")


def test_mo_is_compiled_from_po() -> None:
    po = {m.id: m.string for m in read_po(PO.open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo(MO.open("rb")) if m.id}
    assert po == mo, "run `make translations`"


def test_every_template_and_view_string_is_translated() -> None:
    po = {m.id for m in read_po(PO.open("rb")) if m.id and m.string}
    pattern = re.compile(r"""_\(\s*(['"])(.+?)\1\s*\)""")
    used = set()
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        used |= {m.group(2) for m in pattern.finditer(path.read_text(encoding="utf-8"))}
    assert used - po == set()
