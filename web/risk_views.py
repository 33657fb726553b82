"""The colour maps as both the risk pages and the risk API know them, and who may start a run.

Kept apart from the views so the pages never import the API.
"""

from __future__ import annotations

from resilience.accounts import Principal

MAPS = ("five", "four")
RUN_ROLES = ("admin", "emergency_manager")


def may_run(principal: Principal | None) -> bool:
    """Roles that may start a risk run (the pages show the button to them only)."""
    return principal is not None and principal.role in RUN_ROLES
