"""Risk: hazard zones, risk points, the five- and four-colour maps and their runs.

Importing the package registers its collections (``hazard-zones``, ``risk-points``,
``risk-five-colour``, ``risk-four-colour``) in the registry's table of collections, after
the asset collections, so the API, importer and pages serve them like any other, together
with the hidden hazards (``inventory.inspections.hazards``) that feed them.
"""

from risk import hazard_zones as _hazard_zones  # noqa: F401  isort: skip
from risk import points as _points  # noqa: F401  isort: skip
from inventory.inspections import hazards as _hazards  # noqa: F401  isort: skip
from risk import results as _results  # noqa: F401  isort: skip
from risk import schemes as _schemes  # noqa: F401  isort: skip
