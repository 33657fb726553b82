"""The OpenAPI paths of the layers GIS clients read (``inventory.layers``): each layer of a
collection answers as its collection does, so its paths are the collection's, retitled."""

from __future__ import annotations

import copy
from typing import Any

from inventory import layers

PARTS = ("", "/items", "/items/{key}")


def add_layer_paths(paths: dict[str, Any]) -> None:
    """Give every listed layer that is a part of a collection the paths of its collection
    (metadata, items, one item; writes where the collection takes them)."""
    for part in layers.listed_layers():
        if part.id == part.spec.name:
            continue
        for suffix in PARTS:
            whole = paths.get(f"/api/collections/{part.spec.name}{suffix}")
            if whole is None:
                continue
            mine = copy.deepcopy(whole)
            for operation in mine.values():
                if isinstance(operation, dict) and "summary" in operation:
                    operation["summary"] = f"{operation['summary']} — {part.en} ({part.zh})"
                    if "x-summary-zh" in operation:
                        operation["x-summary-zh"] = f"{operation['x-summary-zh']}——{part.zh}"
            paths[f"/api/collections/{part.id}{suffix}"] = mine
