"""The asset registry: pipelines, network points, tunnels, shelters, flood points.

Other packages import only from here.
"""

# Import order is the order collections are listed in the API.
from inventory.pipelines import NetworkPoint, Pipeline  # isort: skip
from inventory.tunnels import CabinLine, Tunnel, TunnelCabin, TunnelNode  # isort: skip
from inventory.shelters import Shelter  # isort: skip
from inventory.flood_points import FloodPoint, WaterloggingEvent  # isort: skip
from inventory import divisions as _divisions  # noqa: F401  isort: skip
from inventory.assets import COLLECTIONS, ChildSpec, CollectionSpec, FieldSpec  # isort: skip
from inventory.repository import Query  # isort: skip
from inventory import attachments as _attachments  # noqa: F401  isort: skip

__all__ = [
    "COLLECTIONS", "ChildSpec", "CollectionSpec", "FieldSpec", "FloodPoint", "NetworkPoint",
    "Pipeline", "Query", "Shelter", "Tunnel", "TunnelCabin", "TunnelNode", "CabinLine",
    "WaterloggingEvent",
]
