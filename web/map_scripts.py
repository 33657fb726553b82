"""folium's map script as a file of its own, because the pages' CSP runs no inline script.

folium renders a map as HTML plus one inline ``<script>`` that builds it. The views render
it as before; the template passes the script text through the ``script_url`` filter, which
keeps it under its SHA-256 and answers ``/map-scripts/<sha256>.js`` for a ``<script src>``
at the same place in the page, so it runs exactly when the inline one did.

Content addressing makes each file immutable (browsers keep it for good) and lets any web
worker answer for it: the files live in the instance folder, which gunicorn's workers share
like the secret key and the attachments; a worker's memory holds the recent ones, and is the
only store when the instance folder is read-only (one worker then). make_offline
(web/offline_assets.py) names folium's elements by their place in the tree, so the same
view is the same file: the folder grows with distinct views, not page loads, and files no
page has asked for in ``KEEP`` are removed when a new one is written.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import OrderedDict
from hashlib import sha256
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, url_for

from web.auth import signed_in

bp = Blueprint("map_scripts", __name__)

KEEP = 7 * 24 * 3600  # seconds a script no page has asked for is kept
MEMORY = 256  # scripts each worker keeps in memory
DIGEST = re.compile(r"[0-9a-f]{64}")


class ScriptStore:
    """Map scripts by SHA-256: the instance folder for all workers, memory for this one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._recent: OrderedDict[str, bytes] = OrderedDict()

    def put(self, source: str) -> str:
        """Keep ``source`` (or mark it used again) and return its digest."""
        data = source.encode("utf-8")
        digest = sha256(data).hexdigest()
        self._remember(digest, data)
        path = self.folder / f"{digest}.js"
        try:
            if path.exists():
                os.utime(path)  # still in use: not pruned
            else:
                self._write(path, data)
                self._prune()
        except OSError:
            pass  # a read-only instance folder: this worker's memory serves it
        return digest

    def get(self, digest: str) -> bytes | None:
        """The script of that digest, from memory or the folder (None when neither has it)."""
        if digest in self._recent:
            self._recent.move_to_end(digest)
            return self._recent[digest]
        try:
            data = (self.folder / f"{digest}.js").read_bytes()
        except OSError:
            return None
        self._remember(digest, data)
        return data

    def _remember(self, digest: str, data: bytes) -> None:
        self._recent[digest] = data
        self._recent.move_to_end(digest)
        while len(self._recent) > MEMORY:
            self._recent.popitem(last=False)

    def _write(self, path: Path, data: bytes) -> None:
        """Write under a temporary name and rename, so no worker ever reads half a script."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _prune(self) -> None:
        """Remove the scripts (and stray temporary files) nobody asked for in ``KEEP``."""
        old = time.time() - KEEP
        for path in self.folder.iterdir():
            try:
                if path.suffix in (".js", ".tmp") and path.stat().st_mtime < old:
                    path.unlink()
            except OSError:
                continue  # another worker pruned it first


def store() -> ScriptStore:
    """This app's script store."""
    return current_app.extensions["map_scripts"]  # type: ignore[no-any-return]


def script_url(source: str) -> str:
    """The URL a page loads ``source`` from (a Jinja filter: ``{{ map_script|script_url }}``)."""
    return url_for("map_scripts.script", digest=store().put(source))


@bp.get("/map-scripts/<digest>.js")
@signed_in(login_page=False)  # a script the page loads: 401, never the login page
def script(digest: str) -> Response:
    """A map's script, immutable: its name is its content's SHA-256."""
    data = store().get(digest) if DIGEST.fullmatch(digest) else None
    if data is None:
        abort(404)
    return Response(data, mimetype="text/javascript",
                    headers={"Cache-Control": "private, max-age=31536000, immutable"})


def register(app: Flask, instance_path: Path) -> None:
    """Give the app its store, the route and the template filter."""
    app.extensions["map_scripts"] = ScriptStore(instance_path / "map-scripts")
    app.register_blueprint(bp)
    app.add_template_filter(script_url, "script_url")
