"""The asset registry: pipelines, network points, tunnels, shelters, flood points, hazards.

Other packages import only from here. Importing the package defines its tables and
registers its collections; each collection's rank orders the lists, so the order of these
imports does not matter.
"""

from inventory import attachments, divisions
from inventory.assets import COLLECTIONS, ChildSpec, CollectionSpec, FieldSpec
from inventory.flood_points import FloodPoint, WaterloggingEvent
from inventory.inspections import hazards
from inventory.pipelines import NetworkPoint, Pipeline
from inventory.repository import Query
from inventory.shelters import Shelter
from inventory.tunnels import CabinLine, Tunnel, TunnelCabin, TunnelNode

__all__ = [
    "COLLECTIONS", "CabinLine", "ChildSpec", "CollectionSpec", "FieldSpec", "FloodPoint",
    "NetworkPoint", "Pipeline", "Query", "Shelter", "Tunnel", "TunnelCabin", "TunnelNode",
    "WaterloggingEvent", "attachments", "divisions", "hazards",
]
