"""The house of DESIGN.md §2, read from the code: imports run one way, with no exemption list.

Floors, bottom up: the kernel (``resilience``), ``inventory``, ``risk``; above them ``web``
and ``demo``; the composition root ``console`` on top. Each package imports only the floors
below it and itself — at module level or inside a function, by ``import`` or by
``importlib.import_module``. Only ``web`` imports the web stack (``console`` starts the web
app lazily, inside the ``serve`` command). SpatiaLite/PostGIS differences live in
``resilience/dialects/`` alone.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KERNEL, DOMAIN = ["resilience"], ["inventory", "risk"]
ALLOWED: dict[str, set[str]] = {
    "resilience": {"resilience"},
    "inventory": {"resilience", "inventory"},
    "risk": {"resilience", "inventory", "risk"},
    "demo": {"resilience", "inventory", "risk", "demo"},
    "web": {"resilience", "inventory", "risk", "web"},
    "console": {"resilience", "inventory", "risk", "demo", "web", "console"},
}
PACKAGES = set(ALLOWED)
WEB_ONLY = {"flask", "werkzeug", "flask_babel", "flask_wtf", "folium", "branca", "wtforms",
            "jinja2"}
DIALECT_MODULE = "resilience/dialects/"
DIALECT_TEST = re.compile(
    r"""(dialect\.name|\.startswith\(\s*["'](sqlite|postgres)|==\s*["'](sqlite|postgresql)["']"""
    r"""|["'](sqlite|postgresql)["']\s*(==|!=|in\b|:)|dialect_of\()""")


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """First names of every module a file imports (inside functions too, unless asked)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value.split(".")[0])
    return names


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_every_package_has_a_floor() -> None:
    found = {p.name for p in ROOT.iterdir()
             if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.py"))}
    assert found - {"tests", "benchmarks", "migrations"} == PACKAGES


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    wrong = [f"{path.relative_to(ROOT)} imports {name}"
             for path in _files(package)
             for name in sorted((_imports(path) & PACKAGES) - ALLOWED[package])]
    assert not wrong, wrong


@pytest.mark.parametrize("package", ["resilience", "inventory", "risk", "demo"])
def test_only_web_imports_the_web_stack(package: str) -> None:
    wrong = [f"{path.relative_to(ROOT)} imports {sorted(_imports(path) & WEB_ONLY)}"
             for path in _files(package) if _imports(path) & WEB_ONLY]
    assert not wrong, wrong


def test_the_console_starts_the_web_app_lazily() -> None:
    """The CLI and the scheduler must not load Flask just to run a job or an import."""
    wrong = [str(path.relative_to(ROOT)) for path in _files("console")
             if _imports(path, top_level_only=True) & (WEB_ONLY | {"web"})]
    assert not wrong, wrong


def test_no_dialect_checks_outside_the_dialect_module() -> None:
    wrong = []
    for package in sorted(PACKAGES):
        for path in _files(package):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(DIALECT_MODULE):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if DIALECT_TEST.search(line) and not line.lstrip().startswith("#"):
                    wrong.append(f"{rel}:{number}: {line.strip()}")
    assert not wrong, wrong


def test_the_dialect_check_catches_what_it_should() -> None:
    for line in ('if url.startswith("sqlite"):', 'if conn.dialect.name != "postgresql":',
                 '_INSERTS = {"postgresql": postgresql.insert}', "dialect = dialect_of(session)"):
        assert DIALECT_TEST.search(line), line


def test_no_module_is_over_400_lines() -> None:
    big = []
    for package in sorted(PACKAGES):
        for path in _files(package):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > 400:
                big.append(f"{path.relative_to(ROOT)}: {lines}")
    assert not big, big


def test_the_web_app_alone_knows_every_table() -> None:
    """gunicorn imports only web.wsgi: every foreign key must resolve from there."""
    import subprocess
    import sys

    code = ("import web.app, web.api.features; from resilience.model import Base; "
            "from sqlalchemy.orm import configure_mappers; configure_mappers(); "
            "[fk.column for t in Base.metadata.tables.values() for fk in t.foreign_keys]")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
