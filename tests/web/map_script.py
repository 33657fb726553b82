"""A map page's HTML with its folium script appended, for tests that read what the map is given.

The script is a file of its own (``/map-scripts/<sha256>.js``, web/map_scripts.py): the
pages' Content-Security-Policy runs no inline script.
"""

from __future__ import annotations

import re
from typing import Any

SRC = re.compile(r'<script src="(/map-scripts/[0-9a-f]{64}\.js)"></script>')


def with_map_script(client: Any, html: str, headers: dict[str, str] | None = None) -> str:
    """``html`` followed by the text of every map script it loads (there must be one)."""
    answers = [client.get(src, headers=headers or {}) for src in SRC.findall(html)]
    assert answers and all(a.status_code == 200 for a in answers), "no map script loaded"
    return html + "".join(a.get_data(as_text=True) for a in answers)
