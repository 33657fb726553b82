"""Publishing a computed run: both maps replaced, the diff kept, the run's summary written.

This is the writing step of a run (:func:`risk.runs.execute` returns it): everything was
read and scored before, into a :class:`Computed`, and here every row is written in the one
transaction the job runner gives it, so the new maps appear at its commit or not at all.
The writers live beside it: ``five_colour`` (cells, assets, divisions), ``four_colour``
(zones) and ``rows`` (the published rows read, deleted and counted by key).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from resilience.dialects import insert_many
from resilience.model import now
from risk import factors as five
from risk import fourcolour as four
from risk.grid import Grid
from risk.incremental import affected_zones
from risk.inputs import Inputs
from risk.levels import FIVE_COLOUR, FOUR_COLOUR
from risk.publishing import five_colour, four_colour
from risk.publishing.rows import counts
from risk.results import RiskChange, RiskRun
from risk.schemes import Composite

__all__ = ["Computed", "five_colour", "four_colour", "publish"]


@dataclass(frozen=True)
class Computed:
    """What a run's reading phase found, handed to its writing step.

    ``region`` and ``asset_refs`` are the cells and assets an incremental run replaces
    (None: a full run replaces them all); ``scope`` the assets whose generated risk points
    it re-checks. ``since`` is when the published run read the registry, ``first_run`` true
    when there was none (no diff is kept then).
    """

    mode: str
    scheme: Composite
    grid: Grid
    inputs: Inputs
    cells: list[five.CellResult]
    links: list[five.AssetLink]
    region: set[str] | None
    asset_refs: set[str] | None
    scope: set[tuple[str, int]] | None
    density: dict[str, float]  # residents per km² of each division
    since: datetime | None
    first_run: bool
    as_of: datetime  # when this run read the registry: the next incremental run's "since"
    started: float  # time.perf_counter() at the start, for the summary's seconds


def publish(session: Session, run: RiskRun, c: Computed) -> dict[str, Any]:
    """Replace the published maps with a computed run's and record its diff and summary."""
    has_previous = not c.first_run
    stats: dict[str, Any] = {"mode": c.mode, "cells_recomputed": len(c.cells),
                             "assets_recomputed": len(c.links)}
    diff: list[dict[str, Any]] = []
    diff += five_colour.cells_and_assets(session, run, c.scheme, c.grid, c.inputs, c.cells,
                                         c.links, c.region, c.asset_refs)
    diff += five_colour.divisions(session, run, c.scheme, c.inputs)
    generated = four.sync_generated(session, c.inputs, c.density, c.scope)
    if c.mode == "full":
        diff += four_colour.publish(session, run, c.grid)
    else:
        assert c.since is not None
        keys = affected_zones(session, c.grid, c.since)
        stats["four_zones_recomputed"] = len(keys)
        if keys:
            diff += four_colour.publish(session, run, c.grid, keys)
    if has_previous and diff:
        insert_many(session, cast(Table, RiskChange.__table__),
                    [{**d, "run_id": run.id} for d in diff])
    run.counts = counts(session)
    run.summary = {**stats, "generated_points": generated,
                   "changed": {"five": sum(d["map"] == "five" for d in diff) if has_previous else 0,
                               "four": sum(d["map"] == "four" for d in diff) if has_previous else 0},
                   **_moves(diff if has_previous else []),
                   "first_run": not has_previous,
                   "seconds": round(time.perf_counter() - c.started, 2)}
    run.status, run.active, run.inputs_as_of = "succeeded", None, c.as_of
    run.started_at = run.started_at or c.as_of
    run.finished_at = now()
    run.mode = c.mode
    session.flush()
    return {"run_id": run.id, "status": run.status, **run.summary}


def _moves(diff: list[dict[str, Any]]) -> dict[str, int]:
    """How many units were raised, lowered, appeared and went, on either map."""
    order5 = {lv.code: lv.ordinal for lv in FIVE_COLOUR}
    order4 = {lv.code: lv.ordinal for lv in FOUR_COLOUR}
    raised = lowered = appeared = gone = 0
    for d in diff:
        order = order5 if d["map"] == "five" else order4
        if d["before_level"] is None:
            appeared += 1
        elif d["after_level"] is None:
            gone += 1
        elif order[d["after_level"]] > order[d["before_level"]]:
            raised += 1
        else:
            lowered += 1
    return {"raised": raised, "lowered": lowered, "appeared": appeared, "gone": gone}
