"""Example figures for the city profile (built-up area, population by district and year).

They let the demo's health check and risk maps divide by something plausible. They are
rounded, illustrative values near the published order of magnitude — NOT official statistics —
and are stored marked ``example`` so every page that uses them can say so.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo.data import csv_rows
from resilience import profiles
from resilience.divisions import DivisionProfile

SOURCE = "演示示例数据 / demo example figures (not official statistics)"


def load(session: Session) -> int:
    """Store the example rows that are missing (an admin's own figures are never touched)."""
    have = {(c, y) for c, y in session.execute(select(DivisionProfile.division_code,
                                                      DivisionProfile.year))}
    added = 0
    for row in csv_rows("profile.csv"):
        if (row["code"], int(row["year"])) in have:
            continue
        profiles.save(session, row["code"], row["year"],
                      {f: row[f] for f in profiles.FIELDS}, by="demo", source=SOURCE,
                      example=True)
        added += 1
    return added
