"""城市体检 — the yearly city health check (DOMAIN.md §5).

``catalogue`` holds the versioned indicator set, ``indicators`` what the registry computes
itself, ``checks`` a division's yearly check (values, targets, trends, problem list) and
``export`` its workbook. Importing the package registers the tables.
"""

from risk.healthcheck import catalogue, checks

__all__ = ["catalogue", "checks"]
