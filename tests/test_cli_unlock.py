"""``resilience users unlock NAME``: an admin lets a locked-out user try again at once."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import fresh, run

__all__ = ["fresh"]  # the fixture, used by name


def test_unlock_at_the_command_line(fresh: str, tmp_path: Path) -> None:
    from resilience import logins
    from resilience.db import make_engine, make_sessions, unit_of_work

    assert run(["init"], fresh, tmp_path).returncode == 0
    assert run(["users", "add", "zhao", "--role", "viewer", "--password", "river-gate-2026"],
               fresh, tmp_path).returncode == 0
    engine = make_engine(fresh)
    sessions = make_sessions(engine)
    with unit_of_work(sessions) as s:
        for _ in range(5):
            logins.sign_in(s, "zhao", "wrong-guess-1", address="10.1.1.1", via="page")
    with sessions() as s:
        assert logins.locked_until(s, "zhao", None) is not None
    out = run(["users", "unlock", "zhao"], fresh, tmp_path)
    assert out.returncode == 0 and "5 failed sign-ins" in out.stdout, out.stderr
    with sessions() as s:
        assert logins.locked_until(s, "zhao", None) is None
    assert run(["users", "unlock", "nobody"], fresh, tmp_path).returncode == 66
    engine.dispose()
