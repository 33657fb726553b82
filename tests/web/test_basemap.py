"""The basemap: none, a local tile folder or MBTiles served by the registry, an online template."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from resilience.settings import Settings
from web.app import create_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def app_with(settings: Settings, sessions: Any, **basemap: str) -> Any:
    from dataclasses import replace

    app = create_app(replace(settings, **basemap))
    app.extensions["resilience"]["sessions"] = sessions
    return app


def folder(tmp_path: Path) -> Path:
    tile = tmp_path / "tiles" / "12" / "3413" / "1673.png"
    tile.parent.mkdir(parents=True)
    tile.write_bytes(PNG)
    return tmp_path / "tiles"


def mbtiles(tmp_path: Path) -> Path:
    path = tmp_path / "hangzhou.mbtiles"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)")
        db.execute("INSERT INTO tiles VALUES (12, 3413, ?, ?)", ((1 << 12) - 1 - 1673, PNG))
    return path


@pytest.mark.parametrize("source", [folder, mbtiles])
def test_local_tiles_are_served_by_the_registry(settings: Settings, sessions: Any, auth: Any,
                                                tmp_path: Path, source: Any) -> None:
    app = app_with(settings, sessions, basemap_url=str(source(tmp_path)))
    client = app.test_client()
    headers = auth.headers("viewer")
    hit = client.get("/basemap/12/3413/1673", headers=headers)
    assert hit.status_code == 200 and hit.data == PNG and hit.mimetype == "image/png"
    assert "max-age" in hit.headers["Cache-Control"]
    assert client.get("/basemap/12/3413/1674", headers=headers).status_code == 204  # none there
    assert client.get("/basemap/3/9/0", headers=headers).status_code == 404  # x out of range
    assert client.get("/basemap/12/3413/1673").status_code == 401


def test_the_map_page_says_which_basemap(settings: Settings, sessions: Any, tmp_path: Path) -> None:
    from web import basemap

    online = app_with(settings, sessions, basemap_url="http://t{s}.tianditu.gov.cn/vec_w/{z}/{x}/{y}?tk={key}",
                      basemap_key="abc123", basemap_crs="EPSG:4326")
    with online.test_request_context():
        chosen = basemap.configured()
    assert chosen.url == "http://t{s}.tianditu.gov.cn/vec_w/{z}/{x}/{y}?tk=abc123" and not chosen.gcj02
    amap = app_with(settings, sessions, basemap_url=str(folder(tmp_path)), basemap_crs="GCJ-02")
    with amap.test_request_context():
        chosen = basemap.configured()
    assert chosen.url == "/basemap/{z}/{x}/{y}" and chosen.gcj02
    with app_with(settings, sessions, basemap_url="none").test_request_context():
        assert basemap.configured().url is None
    no_basemap = app_with(settings, sessions, basemap_url="")
    assert no_basemap.test_client().get("/basemap/1/0/0").status_code == 401
