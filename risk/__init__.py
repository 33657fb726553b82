"""Risk: hazard zones, risk points, the five- and four-colour maps and their runs.

Importing the package defines its tables and registers its collections (``hazard-zones``,
``risk-points``, ``risk-five-colour``, ``risk-four-colour``) and their tile layers beside
the assets', so the API, importer and pages serve them like any other.
"""

from risk import hazard_zones, layers, map_layers, points, results, schemes

__all__ = ["hazard_zones", "layers", "map_layers", "points", "results", "schemes"]
