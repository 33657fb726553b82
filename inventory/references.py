"""References by number: how a record's links to other records travel between installs.

A pipeline names its start and end points, a tunnel's cabin the pipelines it carries, a
risk point its tunnel, by registry id; an id means something in the install that gave it
and nowhere else. So every export also writes the external id (the survey number, 物探点号)
of what a record points at: ``start_point_no`` beside ``start_point_id``, ``pipeline_nos``
beside a cabin's ``pipeline_ids``. An import turns a number into the id of the live record
that carries it, in whichever install it runs: a number wins over an id, and a row whose
number names no record is rejected, never linked to whatever holds the old id here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from inventory import repository
from inventory.assets import COLLECTIONS, CollectionSpec
from inventory.formats import Record
from inventory.import_report import ImportReport, Rows
from resilience.errors import Problem

BATCH = 2000  # rows resolved with one query per referenced collection

# Nested lists whose items point at records: list → (id field, number field, collection).
CHILD_REFERENCES: dict[str, tuple[str, str, str]] = {
    "cabins": ("pipeline_ids", "pipeline_nos", "pipelines"),
}


def numbers(spec: CollectionSpec) -> dict[str, str]:
    """Number column → the reference field it stands for (``start_point_no`` → ``start_point_id``)."""
    return {name[:-3] + "_no": name for name in spec.references if name.endswith("_id")}


def number_label(spec: CollectionSpec, name: str, lang: str) -> str | None:
    """A number column's heading: 起点点号 / Start point number; None if ``name`` is not one."""
    field_name = numbers(spec).get(name)
    field = spec.field(field_name) if field_name else None
    if field_name is None or field is None:
        return None
    if lang.startswith("zh"):  # CJJ 61 calls a point's number 点号
        return field.zh + ("点号" if spec.references[field_name] == "network-points" else "编号")
    return field.en + " number"


def add_numbers(session: Session, spec: CollectionSpec, keys: list[Any],
                extra: dict[Any, dict[str, Any]]) -> None:
    """Put the numbers of what a page's records point at beside the ids (one query each)."""
    names = {field: number for number, field in numbers(spec).items()}
    for key, found in repository.referenced_numbers(session, spec, keys, names).items():
        extra.setdefault(key, {}).update(found)
    for child, (ids_name, nos_name, target) in CHILD_REFERENCES.items():
        if spec.child(child) is None:
            continue
        items = [item for key in keys for item in (extra.get(key) or {}).get(child) or []]
        wanted = {i for item in items for i in item.get(ids_name) or []}
        known = repository.external_ids(session, COLLECTIONS[target], wanted)
        for item in items:
            ids = item.get(ids_name) or []
            if any(i in known for i in ids):
                item[nos_name] = [known.get(i) for i in ids]


def resolve(session: Session, spec: CollectionSpec, rows: Rows, report: ImportReport) -> Rows:
    """Rows with their numbers turned into this install's ids, a batch at a time.

    A row naming a number no live record carries is left out: counted, and its problems
    reported, here (the import's checks never see it).
    """
    names = numbers(spec)
    children = [c.name for c in spec.children if c.name in CHILD_REFERENCES]
    if not names and not children:
        yield from rows
        return
    chunk: list[tuple[Record, dict[str, Any]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= BATCH:
            yield from _resolve_chunk(session, spec, chunk, names, children, report)
            chunk = []
    yield from _resolve_chunk(session, spec, chunk, names, children, report)


def _number(raw: Any) -> str | None:
    """A number as text: 12.0 read from Excel is "12"; blank is None."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


def _wanted(spec: CollectionSpec, chunk: list[tuple[Record, dict[str, Any]]],
            names: dict[str, str], children: list[str]) -> dict[str, set[str]]:
    """The numbers a batch names, by the collection they belong to."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for _, props in chunk:
        for number_name, field in names.items():
            number = _number(props.get(number_name))
            if number is not None:
                wanted[spec.references[field]].add(number)
        for child in children:
            _, nos_name, target = CHILD_REFERENCES[child]
            items = props.get(child)
            for item in items if isinstance(items, list) else []:
                nos = item.get(nos_name) if isinstance(item, dict) else None
                wanted[target].update(n for n in map(_number, nos or []) if n is not None)
    return wanted


def _resolve_chunk(session: Session, spec: CollectionSpec,
                   chunk: list[tuple[Record, dict[str, Any]]], names: dict[str, str],
                   children: list[str], report: ImportReport) -> Rows:
    found = {target: repository.ids_by_external_id(session, COLLECTIONS[target], wanted)
             for target, wanted in _wanted(spec, chunk, names, children).items()}
    for record, props in chunk:
        problems = _resolve_fields(spec, props, names, found)
        for child in children:
            problems += _resolve_items(props, child, found)
        if problems:
            report.rows += 1
            report.rejected.extend(p.at_row(record.row) for p in problems)
            continue
        yield record, props


def _choose(given: Any, hits: list[int]) -> int:
    """The record a number names: the one the row's id gives if it is among them, else the first."""
    try:
        current = int(given) if given not in (None, "") else None
    except (TypeError, ValueError):
        current = None
    return current if current in hits else hits[0]


def _resolve_fields(spec: CollectionSpec, props: dict[str, Any], names: dict[str, str],
                    found: dict[str, dict[str, list[int]]]) -> list[Problem]:
    problems: list[Problem] = []
    for number_name, field in names.items():
        if number_name not in props:
            continue
        number = _number(props.pop(number_name))
        if number is None:
            continue  # no number: the id, if any, stands
        target = spec.references[field]
        hits = found.get(target, {}).get(number)
        if not hits:
            problems.append(Problem(number_name, "reference_not_found",
                                    {"collection": target, "value": number}))
        else:
            props[field] = _choose(props.get(field), hits)
    return problems


def _resolve_items(props: dict[str, Any], child: str,
                   found: dict[str, dict[str, list[int]]]) -> list[Problem]:
    """A nested list's numbers (a cabin's pipelines) as ids; the items are copied, not changed."""
    ids_name, nos_name, target = CHILD_REFERENCES[child]
    items = props.get(child)
    if not isinstance(items, list):
        return []
    problems: list[Problem] = []
    out: list[Any] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or nos_name not in item:
            out.append(item)
            continue
        item = dict(item)
        nos = item.pop(nos_name)
        given_ids = item.get(ids_name)
        ids: list[Any] = given_ids if isinstance(given_ids, list) else []
        if not isinstance(nos, list):
            problems.append(Problem(f"{child}[{index}].{nos_name}", "not_a_list", {}))
            continue
        resolved: list[Any] = []
        for i, raw in enumerate(nos):
            number = _number(raw)
            given = ids[i] if i < len(ids) else None
            if number is None:
                if given is not None:
                    resolved.append(given)
                continue
            hits = found.get(target, {}).get(number)
            if not hits:
                problems.append(Problem(f"{child}[{index}].{nos_name}", "reference_not_found",
                                        {"collection": target, "value": number}))
            else:
                resolved.append(_choose(given, hits))
        item[ids_name] = resolved + list(ids[len(nos):])
        out.append(item)
    props[child] = out
    return problems
