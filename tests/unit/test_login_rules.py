"""The password policy and the sign-in throttle's arithmetic, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resilience import passwords
from resilience.logins import Throttle, TooManyAttempts

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _codes(password: str, username: str = "zhangsan") -> list[str]:
    return [p.code for p in passwords.problems(password, username)]


def test_a_new_password_is_long_uncommon_and_not_the_name() -> None:
    assert _codes("short-1") == ["too_short"]
    assert _codes("1q2w3e4r5t") == ["too_common"]
    assert _codes("WoAiNi1314") == ["too_common"]  # case does not help
    assert _codes("ZhangSan-2026") == ["contains_username"]
    assert _codes("zhangsan", "zhangsan") == ["too_short", "contains_username"]
    assert _codes("river-gate-7731") == []
    # a two-letter name is refused only as the whole password
    assert _codes("li-pass-2026", "li") == [] and _codes("li", "li") == ["too_short",
                                                                        "contains_username"]
    assert all(p.field == "password" for p in passwords.problems("a", "a"))


def test_the_shipped_list_is_read_lower_case() -> None:
    common = passwords.common()
    assert "qwertyuiop" in common and "woaini1314" in common
    assert not any(c.startswith("#") or c != c.lower() for c in common)


def test_five_failures_in_the_window_lock_for_one_then_two_then_four_minutes() -> None:
    t = Throttle()
    four = [T0 + timedelta(minutes=i) for i in range(4)]
    assert t.until(four, 5, four[-1]) is None
    five = [*four, T0 + timedelta(minutes=4)]
    assert t.until(five, 5, five[-1]) == five[-1] + timedelta(minutes=1)
    assert t.until(five, 5, five[-1] + timedelta(minutes=1)) is None  # served
    six = [*five, five[-1] + timedelta(minutes=2)]
    assert t.until(six, 5, six[-1]) == six[-1] + timedelta(minutes=2)
    seven = [*six, six[-1] + timedelta(minutes=3)]
    assert t.until(seven, 5, seven[-1]) == seven[-1] + timedelta(minutes=4)
    many = [T0 + timedelta(seconds=i) for i in range(64)]
    assert t.until(many, 5, many[-1]) == many[-1] + timedelta(days=1)  # capped


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    slow = [T0 + timedelta(minutes=5 * i) for i in range(5)]  # 20 minutes apart end to end
    assert Throttle().until(slow, 5, slow[-1]) is None


def test_the_refusal_says_when_to_come_back() -> None:
    refused = TooManyAttempts(T0 + timedelta(seconds=61), T0)
    assert refused.retry_after == 61
    assert refused.problems[0].code == "too_many_attempts"
    assert refused.problems[0].params == {"minutes": 2}
