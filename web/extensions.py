"""Unbound Flask extensions and the page language, shared by the factory and the views."""

from __future__ import annotations

from flask import request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
LOCALES = ("zh_CN", "en")


def select_locale() -> str:
    """The page language: the user's choice, else zh-CN unless the browser prefers English."""
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen  # type: ignore[no-any-return]
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"], default="zh-CN")
    return "en" if best == "en" else "zh_CN"
