"""GeoJSON FeatureCollections (streamed with ijson) and newline-delimited GeoJSONSeq.

Exports to GeoJSON are written beside this, in ``geojson_writer``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from inventory.formats import Record, Source, count_bytes, reader
from resilience.errors import InvalidInput, Problem


def _declared_crs(path: Path) -> str | None:
    """The legacy top-level ``crs`` member (GeoJSON 2008), read before the features."""
    with path.open("rb") as f:
        try:
            for prefix, event, value in ijson.parse(f):
                if prefix == "crs.properties.name" and event == "string":
                    return str(value)
                if prefix == "features" and event == "start_array":
                    return _trailing_crs(f)
        except ijson.JSONError as error:
            raise InvalidInput("not JSON", [Problem("file", "invalid_json",
                                                    {"reason": str(error)[:120]})]) from error
    return None


_CRS_MEMBER = re.compile(rb'"crs"\s*:\s*\{.*?"name"\s*:\s*"([^"]+)"', re.S)


def _trailing_crs(f: BinaryIO) -> str | None:
    """A ``crs`` member written after the features: looked for in the file's last 64 KiB."""
    f.seek(0, 2)
    f.seek(max(0, f.tell() - 65536))
    tail = f.read()
    end = tail.rfind(b"]")  # the features array closes before a trailing member
    match = _CRS_MEMBER.search(tail[end:] if end >= 0 else tail)
    return match.group(1).decode("utf-8", "replace") if match else None


def _is_sequence(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf\x1e \t\r\n")
    first_line = head.split(b"\n", 1)[0].strip().rstrip(b",")
    try:
        return bool(json.loads(first_line).get("type") == "Feature")
    except (ValueError, AttributeError):
        return False


def _feature_record(number: int, feature: Any) -> Record:
    if not isinstance(feature, dict):
        return Record(number, {"__invalid__": "not_a_feature"}, None)
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        props = {"__invalid__": "properties_not_an_object"}
    if "id" in feature and "id" not in props:
        props = {**props, "__feature_id__": feature["id"]}
    return Record(number, props, feature.get("geometry"))


@reader("geojson", ".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson")
def read_geojson(path: Path) -> Source:
    """Open a GeoJSON FeatureCollection or a GeoJSONSeq file (one Feature per line)."""
    if _is_sequence(path):
        def seq() -> Iterator[Record]:
            with path.open("rb") as f:
                for number, line in enumerate(f, start=1):
                    text = line.strip().lstrip(b"\x1e").lstrip(b"\xef\xbb\xbf")
                    if not text:
                        continue
                    try:
                        feature = json.loads(text)
                    except ValueError:
                        yield Record(number, {"__invalid__": "invalid_json"}, None)
                        continue
                    yield _feature_record(number, feature)

        return Source(path, "geojsonseq", None, [], seq, size_hint=count_bytes(path, b"\n"))

    crs = _declared_crs(path)

    def collection() -> Iterator[Record]:
        with path.open("rb") as f:
            try:
                for number, feature in enumerate(ijson.items(f, "features.item", use_float=True), start=1):
                    yield _feature_record(number, feature)
            except ijson.JSONError as error:
                raise InvalidInput("truncated or invalid JSON", [Problem(
                    "file", "invalid_json", {"reason": str(error)[:120]})]) from error

    return Source(path, "geojson", crs, [], collection, size_hint=count_bytes(path, b'"Feature"'))
