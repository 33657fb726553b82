"""The basemap, as DESIGN §5 allows: none, a local tile folder or MBTiles file, or an online source.

A government intranet has no internet, so the registry serves local tiles itself at
``/basemap/{z}/{x}/{y}``: from a folder of ``{z}/{x}/{y}.png|jpg|webp`` or from an MBTiles
file (SQLite, TMS rows). An online template (天地图 with its key, an XYZ server on the
intranet) is passed to the browser as it is. Sources in GCJ-02 (AMap, Tencent) are drawn
shifted so that the registry's CGCS2000 features sit on the right streets.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort

from web.auth import signed_in
from web.session import settings

bp = Blueprint("basemap", __name__)

IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}
FOLDER_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class Basemap:
    """What the map page draws under the registry's layers."""

    url: str | None  # a Leaflet tile URL template, or None for no basemap
    attribution: str
    gcj02: bool  # the tiles are in GCJ-02: shift them onto CGCS2000/WGS84
    max_zoom: int = 18


def configured() -> Basemap:
    """The basemap the settings ask for (``RESILIENCE_BASEMAP_URL`` and friends)."""
    s = settings()
    source = (s.basemap_url or "").strip()
    gcj = s.basemap_crs.strip().upper().replace("_", "-") in ("GCJ-02", "GCJ02")
    if not source or source.lower() == "none":
        return Basemap(None, "", False)
    if source.startswith(("http://", "https://", "//")):
        url = source.replace("{key}", s.basemap_key) if s.basemap_key else source
        return Basemap(url, s.basemap_attribution, gcj)
    return Basemap("/basemap/{z}/{x}/{y}", s.basemap_attribution, gcj)


@lru_cache(maxsize=4)
def _mbtiles(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("SELECT 1 FROM tiles LIMIT 1")
    return conn


def local_tile(source: Path, z: int, x: int, y: int) -> bytes | None:
    """A tile of a local folder or MBTiles file (None when it has none there)."""
    if source.suffix.lower() == ".mbtiles":
        row = _mbtiles(str(source)).execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y)).fetchone()  # MBTiles rows count from the south (TMS)
        return bytes(row[0]) if row else None
    for suffix in FOLDER_SUFFIXES:
        path = source / str(z) / str(x) / f"{y}{suffix}"
        if path.is_file():
            return path.read_bytes()
    return None


@bp.get("/basemap/<int:z>/<int:x>/<int:y>")
@signed_in(login_page=False)  # an image the map fetches: 401, never the login page
def tile(z: int, x: int, y: int) -> Response:
    """A basemap tile served from the local source (signed-in users only, cached a day)."""
    source = (settings().basemap_url or "").strip()
    if not source or source.startswith(("http://", "https://", "//")) or source.lower() == "none":
        abort(404)
    if not (0 <= z <= 22 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
        abort(404)
    data = local_tile(Path(source), z, x, y)
    if data is None:
        return Response(status=204, headers={"Cache-Control": "private, max-age=86400"})
    mimetype = next((t for magic, t in IMAGE_TYPES.items() if data.startswith(magic)),
                    "application/octet-stream")
    return Response(data, mimetype=mimetype, headers={"Cache-Control": "private, max-age=86400"})
