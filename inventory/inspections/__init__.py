"""Inspections and the hidden-hazard loop (DESIGN.md §2: inventory/inspections/).

Checklist templates, plans, tasks and answers, and hidden-hazard records (隐患) with their
closed loop (DOMAIN.md §4). Risk reads open hazards from here; nothing here imports risk
(levels a plan follows are handed in by the caller).
"""
