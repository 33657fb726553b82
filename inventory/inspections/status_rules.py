"""The colour an asset's status page shows when its QR code is scanned: rules as data.

Zhejiang's 浙江安全码 rules are not known (DOMAIN.md §10), so the colour comes from a small
table, not from code: each rule names one fact about the asset and the value from which it
applies, and the most severe colour whose rule applies wins. The colours are the four-colour
map's, with the same meaning (DOMAIN.md §10 "One meaning per colour"): the default table
follows the four-colour levels and the hidden-hazard loop:

==========  ==================================================================
colour      when (any of)
==========  ==================================================================
red 红      four-colour level major (重大); an open 重大 hidden hazard, once graded
orange 橙   four-colour level considerable (较大)
yellow 黄   four-colour level general (一般); an open 一般 hidden hazard (or a report
            not yet graded, which weighs at most 一般); an overdue inspection
blue 蓝     four-colour level low (低)
grey 灰     not assessed: no four-colour level and nothing else applies — never blue
==========  ==================================================================

When no rule of a registry's own table applies, the asset shows its four-colour level's
colour, or grey when it has none.

A registry replaces the table with its own (`parse`, from JSON such as
``[{"colour": "red", "fact": "overdue_tasks", "at_least": 3}, …]``); the page says which
rules decided, so a colour always has its reason beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resilience.codes import Code as C
from resilience.codes import CodeList
from resilience.errors import InvalidInput, Problem

# Most severe first; the hex values are the four-colour map's (DOMAIN.md §3); grey is "not
# assessed", a colour no risk level uses.
COLOURS = CodeList("colour", [
    C("red", "红码", "Red", colour="#FF0000"),
    C("orange", "橙码", "Orange", colour="#FF8000"),
    C("yellow", "黄码", "Yellow", colour="#FFFF00"),
    C("blue", "蓝码", "Blue", colour="#0070FF"),
    C("grey", "未评估", "Not assessed", colour="#9AA0A6"),
])
SEVERITY = COLOURS.values()
DEFAULT_COLOUR = "grey"
# The colour of each four-colour level (DOMAIN.md §3), shown when no rule applies.
LEVEL_COLOURS = {"major": "red", "considerable": "orange", "general": "yellow", "low": "blue"}

# The facts a rule may test: level facts compare by equality, count facts by ``at_least``.
LEVEL_FACTS = frozenset({"four_level", "five_level"})
COUNT_FACTS = frozenset({"open_hazards", "open_major_hazards", "supervised_hazards",
                         "overdue_hazards", "overdue_tasks", "open_tasks"})


@dataclass(frozen=True)
class Facts:
    """What is known about one asset when its status page is opened."""

    four_level: str | None = None  # low / general / considerable / major (risk_four_colour)
    five_level: str | None = None  # low … high (risk_five_colour)
    open_hazards: int = 0  # hidden hazards not yet 销号
    open_major_hazards: int = 0  # of which 重大
    supervised_hazards: int = 0  # of which 挂牌督办
    overdue_hazards: int = 0  # open past their deadline
    overdue_tasks: int = 0  # inspections past their due date, not done
    open_tasks: int = 0  # inspections due or overdue


@dataclass(frozen=True)
class Rule:
    """Colour ``colour`` applies when ``fact`` equals ``equals`` or is at least ``at_least``."""

    colour: str
    fact: str
    equals: str | None = None
    at_least: int | None = None

    def applies(self, facts: Facts) -> bool:
        """Whether the asset's facts meet this rule."""
        value = getattr(facts, self.fact)
        if self.equals is not None:
            return bool(value == self.equals)
        return self.at_least is not None and int(value or 0) >= self.at_least


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("red", "four_level", equals="major"),
    Rule("red", "open_major_hazards", at_least=1),
    Rule("orange", "four_level", equals="considerable"),
    Rule("yellow", "four_level", equals="general"),
    Rule("yellow", "open_hazards", at_least=1),
    Rule("yellow", "overdue_tasks", at_least=1),
    Rule("blue", "four_level", equals="low"),
)


@dataclass(frozen=True)
class Verdict:
    """The colour shown and the rules that gave it (empty for the default colour)."""

    colour: str
    because: tuple[Rule, ...]

    @property
    def hex(self) -> str:
        """The colour as the page paints it."""
        code = COLOURS.get(self.colour)
        return code.colour if code is not None and code.colour else "#9AA0A6"


def decide(facts: Facts, rules: Sequence[Rule] = DEFAULT_RULES) -> Verdict:
    """The most severe colour whose rules apply, with every applying rule of that colour;
    else the four-colour level's own colour, or grey (not assessed) without one."""
    applying = [r for r in rules if r.applies(facts)]
    for colour in SEVERITY:
        because = tuple(r for r in applying if r.colour == colour)
        if because:
            return Verdict(colour, because)
    return Verdict(LEVEL_COLOURS.get(facts.four_level or "", DEFAULT_COLOUR), ())


def parse(data: Iterable[Mapping[str, Any]]) -> tuple[Rule, ...]:
    """A registry's own rule table from JSON-like data, every bad row named at once."""
    rules, problems = [], []
    for row, item in enumerate(data, start=1):
        colour, fact = item.get("colour"), item.get("fact")
        equals, at_least = item.get("equals"), item.get("at_least")
        if colour not in SEVERITY:
            problems.append(Problem("colour", "unknown_code",
                                    {"value": colour, "allowed": SEVERITY}, row=row))
        if fact in LEVEL_FACTS and isinstance(equals, str) and at_least is None:
            pass
        elif fact in COUNT_FACTS and isinstance(at_least, int) and not isinstance(at_least, bool) \
                and at_least >= 0 and equals is None:
            pass
        else:
            problems.append(Problem("fact", "status_rule_invalid",
                                    {"value": fact, "allowed": sorted(LEVEL_FACTS | COUNT_FACTS)},
                                    row=row))
            continue
        rules.append(Rule(str(colour), str(fact), equals=equals, at_least=at_least))
    if problems:
        raise InvalidInput("status rules do not check", problems)
    return tuple(rules)
