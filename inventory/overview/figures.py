"""The dashboard's figures as plain data: tallies, code lists of buckets, gaps and changes.

What ``overview()`` returns and the pages render; the queries that fill it are in
``tallies``, ``completeness`` and ``changes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from resilience import codes
from resilience.codes import Code, CodeList

UNKNOWN = Code("unknown", "未填写", "Not recorded")

# Build-year buckets (decades since 1980); the last one is open-ended.
AGE_BUCKETS = CodeList("age", [
    Code("before_1980", "1980年以前", "Before 1980"),
    Code("1980s", "1980年代", "1980s"),
    Code("1990s", "1990年代", "1990s"),
    Code("2000s", "2000年代", "2000s"),
    Code("2010s", "2010年代", "2010s"),
    Code("2020s", "2020年以来", "2020 onwards"),
    UNKNOWN,
])
# The upper limit of each bucket but the last (build year < limit).
DECADES = ((1980, "before_1980"), (1990, "1980s"), (2000, "1990s"), (2010, "2000s"),
            (2020, "2010s"))

GRADES = CodeList("condition_grade", [*codes.CONDITION_GRADES, UNKNOWN])


@dataclass
class Tally:
    """A count of records and their summed length in metres."""

    count: int = 0
    length_m: float = 0.0

    def add(self, count: int, length_m: float | None) -> None:
        """Fold one group into the tally."""
        self.count += int(count or 0)
        self.length_m += float(length_m or 0.0)

    @property
    def km(self) -> float:
        """The length in kilometres."""
        return self.length_m / 1000.0


@dataclass
class ShelterTally:
    """Shelters of one class: how many, how many people they hold, their effective area."""

    count: int = 0
    capacity: int = 0
    area_m2: float = 0.0


@dataclass(frozen=True)
class Gap:
    """How many records of a collection lack one key value (data completeness)."""

    collection: str
    key: str
    zh: str
    en: str
    missing: int
    total: int

    def label(self, locale: str) -> str:
        """The checked value's label for a locale."""
        return self.zh if locale.lower().startswith("zh") else self.en

    @property
    def missing_share(self) -> float | None:
        """Missing records ÷ records (None when the collection is empty here)."""
        return self.missing / self.total if self.total else None


@dataclass(frozen=True)
class Change:
    """One audit entry of the week, as listed (no before/after values: they can be large)."""

    id: int
    at: datetime
    actor: str
    action: str
    collection: str
    record_id: int
    division_code: str | None


@dataclass
class Overview:
    """Everything the dashboard shows for one division (or all the user sees)."""

    division: str | None
    since: datetime
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_age: dict[str, dict[str, Tally]] = field(default_factory=dict)  # bucket → category
    by_material: dict[str, dict[str, Tally]] = field(default_factory=dict)  # material → category
    condition: dict[str, dict[str, Tally]] = field(default_factory=dict)  # grade → collection
    network_points: int = 0
    tunnels: Tally = field(default_factory=Tally)
    shelters: dict[str, ShelterTally] = field(default_factory=dict)  # by class
    flood_points: dict[str, int] = field(default_factory=dict)  # by status
    # Other registered collections counted by their ``counted_by`` code (risk points by
    # level, hazard zones by kind): collection → code → records.
    counted: dict[str, dict[str, int]] = field(default_factory=dict)
    owners: list[tuple[str, Tally]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)  # collection → action
    latest: list[Change] = field(default_factory=list)

    @property
    def pipelines(self) -> Tally:
        """All visible segments together."""
        total = Tally()
        for tally in self.by_category.values():
            total.add(tally.count, tally.length_m)
        return total

    @property
    def shelter_total(self) -> ShelterTally:
        """All shelters together."""
        total = ShelterTally()
        for s in self.shelters.values():
            total.count += s.count
            total.capacity += s.capacity
            total.area_m2 += s.area_m2
        return total

    @property
    def changes_total(self) -> int:
        """Audit entries of the week."""
        return sum(sum(by_action.values()) for by_action in self.changes.values())
