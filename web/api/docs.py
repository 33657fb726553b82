"""The API's documentation for people, at ``/api/docs``: drawn from the OpenAPI document on
every request, so it lists what the API does today and never a second list that drifts.

Served by the registry itself, as a page of the site (no script, no font, nothing from
another host: the CSP allows none). Public like ``/api/openapi.json``, which says the same to
machines: it shows the API's shape, never a record, and an integrator reads how to get a
token before holding one. Summaries are the document's own; an operation may give a Chinese
one beside it (``x-summary-zh``), in the same place, so the two are written together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from inventory import layers
from resilience.errors import NotFound
from web.api import openapi
from web.api.protocol import link
from web.extensions import select_locale

bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")
# The paths under /api that describe the service rather than a subject of it.
SERVICE = ("collections", "conformance", "health", "docs", "openapi.json")


def docs_link(base: str) -> dict[str, str]:
    """The landing page's link to this page (``base``: the server root)."""
    return link(f"{base}/api/docs", "service-doc", "text/html", "API documentation (zh, en)")


@dataclass(frozen=True)
class Parameter:
    """A parameter as the page shows it: where it goes, its type in words, what it means."""

    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Operation:
    """One method on one path."""

    anchor: str
    method: str
    path: str
    summary: str
    public: bool
    parameters: list[Parameter]
    request_types: list[str]
    body_fields: list[Parameter]  # the members of an inline request body, if it lists them
    responses: list[tuple[str, str, list[str]]]  # status, description, media types


@dataclass
class Group:
    """Operations on one subject (a collection, the imports, the tiles…), in document order."""

    anchor: str
    title: str
    collection: bool = False
    operations: list[Operation] = field(default_factory=list)


def type_text(schema: dict[str, Any] | None) -> str:
    """A parameter's JSON Schema in a few words: ``integer, 1–10000, default 100``."""
    if not schema:
        return ""
    kind = str(schema.get("type", ""))
    if kind == "array":
        kind = f"array<{type_text(schema.get('items')) or 'any'}>"
    words = [kind + (f" ({schema['format']})" if "format" in schema else "")]
    if "enum" in schema:
        values = [str(v) for v in schema["enum"]]
        words.append(" | ".join(values[:12]) + (" …" if len(values) > 12 else ""))
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None or high is not None:
        words.append(f"{'' if low is None else low}–{'' if high is None else high}")
    if "default" in schema:
        words.append(f"{_('default')} {schema['default']}")
    return ", ".join(w for w in words if w)


def _parameters(raw: list[dict[str, Any]]) -> list[Parameter]:
    return [Parameter(p["name"], p.get("in", ""), type_text(p.get("schema")),
                      bool(p.get("required")), p.get("description", "")) for p in raw]


def _body_fields(content: dict[str, Any]) -> list[Parameter]:
    """The members of the first request body that spells them out (a form's fields)."""
    for media in content.values():
        schema = media.get("schema", {})
        if schema.get("properties"):
            required = set(schema.get("required", []))
            return [Parameter(name, "body", type_text(member), name in required,
                              member.get("description", ""))
                    for name, member in schema["properties"].items()]
    return []


def _responses(raw: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(str(code), r.get("description", ""), list(r.get("content", {})))
            for code, r in raw.items()]


def _group_of(path: str, operation: dict[str, Any]) -> str:
    """A path's subject: its first tag if it has one, else read from the path itself."""
    if operation.get("tags"):
        return f"tag:{operation['tags'][0]}"
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "service"
    if parts[0] != "api" or {"tiles", "tileMatrixSets"} & set(parts):
        return "tiles"
    if len(parts) <= 2 and (len(parts) == 1 or parts[1] in SERVICE):
        return "service"
    if parts[1] == "collections":
        return "collections" if parts[2].startswith("{") else f"collection:{parts[2]}"
    return parts[1]


def _titles() -> dict[str, str]:
    """The names of the subjects that are not collections (the page's own words)."""
    return {
        "service": _("The service"), "collections": _("Every collection"),
        "tiles": _("Vector tiles"), "imports": _("Import & export"),
        "risk": _("Risk assessment"), "inspections": _("Inspections"),
        "hazards": _("Hidden hazards"), "health-checks": _("Health check"),
        "profiles": _("City profile"),
    }


def _title(key: str, zh: bool) -> str:
    """A subject's title: a collection's own name (from its specification), or the page's."""
    kind, _sep, name = key.partition(":")
    if kind == "collection":
        try:
            one = layers.layer(name)
        except NotFound:
            return name
        return f"{one.zh} · {one.en}" if zh else f"{one.en} · {one.zh}"
    if kind == "tag":
        return name
    return _titles().get(key, key)


def groups(document: dict[str, Any], zh: bool) -> list[Group]:
    """Every operation of the document, grouped by subject: the service first, then the
    collections, then the rest in the document's order."""
    found: dict[str, Group] = {}
    secured_by_default = bool(document.get("security"))
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            key = _group_of(path, op)
            group = found.setdefault(key, Group(
                anchor=key.replace(":", "-").replace("/", "-"), title=_title(key, zh),
                collection=key.startswith("collection:")))
            summary = (op.get("x-summary-zh") if zh else None) or op.get("summary", "")
            body = op.get("requestBody", {}).get("content", {})
            group.operations.append(Operation(
                anchor=f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                method=method.upper(), path=path, summary=summary,
                public=op.get("security", None) == [] or not secured_by_default,
                parameters=_parameters(op.get("parameters", [])),
                request_types=list(body), body_fields=_body_fields(body),
                responses=_responses(op.get("responses", {}))))
    ordered = [found.pop(k) for k in ("service", "collections") if k in found]
    ordered += [g for g in found.values() if g.collection]
    ordered += [g for g in found.values() if not g.collection]
    return ordered


def schemes(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The ways to authenticate (name, HTTP scheme, how to use it), as the document has them."""
    how = {"bearer": _("An API token in the Authorization header: Bearer <token>."),
           "basic": _("User name and password (HTTP Basic), as GDAL and QGIS send them.")}
    out = []
    for name, scheme in document.get("components", {}).get("securitySchemes", {}).items():
        kind = str(scheme.get("scheme", scheme.get("type", "")))
        out.append((name, kind, how.get(kind, scheme.get("description", ""))))
    return out


@bp.get("/api/docs")
def docs() -> str:
    """The API documentation page, in the reader's language (public, see the module)."""
    base = request.url_root.rstrip("/")
    document = openapi.document(base)
    zh = select_locale().startswith("zh")
    return render_template("api_docs.html", base=base, info=document.get("info", {}),
                           groups=groups(document, zh), schemes=schemes(document),
                           version=document.get("openapi", ""))
