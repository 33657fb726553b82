"""SpatiaLite on any Python: the stdlib's sqlite3 when it loads extensions, the wheel when not,
and one sentence naming the fix when neither can."""

from __future__ import annotations

import builtins
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from resilience.dialects import spatialite
from resilience.errors import ServiceUnavailable


class _NoExtensions:
    """A sqlite3 module as pyenv and macOS build it: no enable_load_extension."""

    class Connection:
        pass


def test_the_standard_library_is_used_when_it_can() -> None:
    assert spatialite.sqlite_module() is sqlite3


def test_the_wheel_takes_over_when_the_standard_library_cannot(tmp_path: Path,
                                                               monkeypatch: Any) -> None:
    module = spatialite.sqlite_module(_NoExtensions)
    assert module.__name__ == "pysqlite3.dbapi2"
    monkeypatch.setattr(spatialite, "sqlite_module", lambda: module)
    engine = spatialite.SpatiaLite().make_engine(f"sqlite:///{tmp_path / 'wheel.db'}")
    try:
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.__class__.__module__.startswith("pysqlite3")
            assert conn.execute(text("SELECT ST_AsText(MakePoint(120.1, 30.2))")).scalar() \
                == "POINT(120.1 30.2)"
    finally:
        engine.dispose()


def test_without_either_one_sentence_names_the_fix(monkeypatch: Any) -> None:
    real_import = builtins.__import__

    def no_wheel(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("pysqlite3"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wheel)
    with pytest.raises(ServiceUnavailable) as caught:
        spatialite.sqlite_module(_NoExtensions)
    message = caught.value.message
    assert "cannot load extensions" in message and "pip install pysqlite3-binary" in message
    assert "\n" not in message
