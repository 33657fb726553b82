"""A hidden hazard as both its pages and its API show it: trail steps, position, the retire rule.

Kept apart from the views so the pages never import the API (and the two never disagree).
"""

from __future__ import annotations

from typing import Any

from geoalchemy2.shape import to_shape

from inventory.inspections import hazard_flow as flow
from inventory.inspections import hazards
from resilience.accounts import Principal
from resilience.errors import Problem
from web.errors import locale
from web.session import local_time

RETIRING_ROLES = ("admin",)  # the rest stay on the books (继续挂账)


def event_json(ev: hazards.HazardEvent, zh: bool | None = None) -> dict[str, Any]:
    """One step of the trail (labelled in the request's language unless told)."""
    zh = locale().startswith("zh") if zh is None else zh
    return {"id": ev.id, "action": ev.action,
            "label": flow.event_label(ev.action, zh), "from": ev.from_state,
            "to": ev.to_state, "by": ev.by, "at": ev.at.isoformat(),
            "at_local": local_time(ev.at), "note": ev.note,
            "reason": ev.reason, "attachments": ev.attachment_ids or [],
            "changes": ev.changes or {}}


def position(hazard: hazards.Hazard) -> tuple[float, float]:
    """The hazard's lon/lat (for maps on the pages)."""
    geom = to_shape(hazard.geom)
    return float(geom.x), float(geom.y)


def retire_refused(principal: Principal) -> Problem:
    """Why this role may not retire a hazard, in the words of the hazard workflow."""
    return Problem("action", "action_not_for_role", {
        "value": "retire", "role": principal.role, "allowed": list(RETIRING_ROLES)})
