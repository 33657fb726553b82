"""城市体检 — the yearly city health check (DOMAIN.md §5).

``catalogue`` holds the versioned indicator set, ``indicators`` what the registry computes
itself, ``checks`` a division's yearly check (values, targets, trends, problem list) and
``export`` its workbook. Importing the package registers the tables.
"""

from risk.healthcheck import catalogue as _catalogue  # noqa: F401  isort: skip
from risk.healthcheck import checks as _checks  # noqa: F401  isort: skip
