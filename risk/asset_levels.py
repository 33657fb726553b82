"""An asset's published levels: its four-colour row and its five-colour row (unit 'asset').

Read by the status page a label's QR code opens; the rows are the published maps' (the last
committed run), so the page shows what the maps show.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from risk.results import FiveColourResult, FourColourResult


@dataclass(frozen=True)
class AssetLevels:
    """The published rows for one asset (None where a map has no row for it)."""

    four: FourColourResult | None
    five: FiveColourResult | None


def asset_levels(session: Session, collection: str, asset_id: int) -> AssetLevels:
    """The asset's rows in both published maps, by their reference ``<collection>/<id>``."""
    ref = f"{collection}/{int(asset_id)}"
    four = session.scalars(select(FourColourResult).where(
        FourColourResult.unit == "asset", FourColourResult.ref == ref)).first()
    five = session.scalars(select(FiveColourResult).where(
        FiveColourResult.unit == "asset", FiveColourResult.ref == ref)).first()
    return AssetLevels(four, five)
