"""Imports run one way: web → risk → inventory → resilience; only web imports flask & co."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["resilience", "inventory", "risk", "web"]  # each may import only to its left
WEB_ONLY = {"flask", "werkzeug", "flask_babel", "flask_wtf", "folium", "branca", "wtforms",
            "jinja2"}
COMPOSITION_ROOTS = {"resilience/cli.py", "resilience/scheduler.py", "resilience/jobs.py",
                     "resilience/job_handlers.py", "resilience/demo.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_imports_point_one_way(package: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    wrong = []
    for path in _files(package):
        rel = path.relative_to(ROOT).as_posix()
        if rel in COMPOSITION_ROOTS:
            continue
        for name in _imports(path) & set(LAYERS):
            if name not in allowed:
                wrong.append(f"{rel} imports {name}")
    assert not wrong, wrong


@pytest.mark.parametrize("package", ["resilience", "inventory", "risk"])
def test_only_web_imports_the_web_stack(package: str) -> None:
    wrong = []
    for path in _files(package):
        rel = path.relative_to(ROOT).as_posix()
        if rel in COMPOSITION_ROOTS and package == "resilience":
            imports = _imports(path)
            # Composition roots may start the web app, but only lazily inside a function.
            top = {n.names[0].name.split(".")[0] for n in ast.parse(path.read_text()).body
                   if isinstance(n, ast.Import)} | {
                n.module.split(".")[0] for n in ast.parse(path.read_text()).body
                if isinstance(n, ast.ImportFrom) and n.module}
            assert not (top & (WEB_ONLY | {"web"})), rel
            continue
        imports = _imports(path)
        if imports & WEB_ONLY:
            wrong.append(f"{rel} imports {sorted(imports & WEB_ONLY)}")
    assert not wrong, wrong


def test_no_dialect_checks_outside_spatial_module() -> None:
    wrong = []
    for package in ("resilience", "inventory", "risk", "web"):
        for path in _files(package):
            rel = path.relative_to(ROOT).as_posix()
            if rel in {"resilience/spatial.py", "resilience/db.py", "resilience/text_search.py"}:
                continue
            text = path.read_text(encoding="utf-8")
            for needle in ('startswith("sqlite', "startswith('sqlite", 'dialect.name ==',
                           "dialect.name==", 'dialect == "sqlite"', 'dialect == "postgresql"'):
                if needle in text:
                    wrong.append(f"{rel}: {needle}")
    assert not wrong, wrong


def test_the_web_app_alone_knows_every_table() -> None:
    """gunicorn imports only web.wsgi: every foreign key must resolve from there."""
    import subprocess
    import sys

    code = ("import web.app, web.api.features; from resilience.model import Base; "
            "from sqlalchemy.orm import configure_mappers; configure_mappers(); "
            "[fk.column for t in Base.metadata.tables.values() for fk in t.foreign_keys]")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
