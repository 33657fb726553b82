"""城市体检 — the yearly city health check (DOMAIN.md §5, §10).

``catalogue`` holds the versioned indicator set (shipped rows in ``defaults``), ``indicators``
and ``networks`` what the registry computes itself, read as it stood at the end of the year
(``asof``), ``checks`` a division's yearly check, ``reports`` what every output shows
(values, 参考值, trends, problem list), ``evaluation`` the five-year evaluation and ``export``
the workbook. Importing the package registers the tables.
"""

from risk.healthcheck import catalogue, checks

__all__ = ["catalogue", "checks"]
