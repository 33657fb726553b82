"""Shapefile column names: dBase allows ten characters, so long field names get a fixed short one.

The table is written by hand, not computed, so a file exported today still maps back after a
field is added: the exporter writes ``SHORT.get(name, name)`` and the importer reads a column
back through :func:`expand`. Within one collection every short name is unique and never equal
to another field's own name (tests check both over the whole registry).
"""

from __future__ import annotations

from inventory.assets import CollectionSpec
from inventory.references import numbers

LIMIT = 10  # dBase III field names: at most ten characters

SHORT: dict[str, str] = {
    # every asset collection
    "external_id": "ext_id",
    "data_source": "data_src",
    "survey_date": "survey_dt",
    "division_code": "division",
    # pipelines and network points
    "subcategory": "subcat",
    "diameter_mm": "diam_mm",
    "pressure_class": "press_cls",
    "pressure_mpa": "press_mpa",
    "cable_count": "cable_cnt",
    "start_depth_m": "start_dep",
    "end_depth_m": "end_dep",
    "burial_method": "burial",
    "condition_grade": "cond_grade",
    "start_point_id": "start_pt",
    "end_point_id": "end_pt",
    "start_point_no": "start_no",  # the points' numbers beside their ids (inventory.references)
    "end_point_no": "end_no",
    "ground_elevation_m": "ground_el",
    "segment_ids": "segments",
    # tunnels
    "tunnel_type": "tunnel_typ",
    "design_life_years": "life_years",
    # shelters
    "shelter_class": "shel_class",
    "effective_area_m2": "eff_area",
    "capacity_persons": "capacity",
    "managing_unit": "mgmt_unit",
    "contact_phone": "phone",
    # flood points
    "eliminated_on": "elim_on",
    "trigger_rainfall_mm_h": "trig_rain",
    "responsible_unit": "resp_unit",
    "contact_person": "contact",
    # divisions
    "parent_code": "parent",
    # hazard zones
    "hazard_class": "haz_class",
    "return_period_years": "return_yr",
    "intensity_unit": "int_unit",
    "issuing_unit": "issuer",
    # risk points
    "scheme_version": "scheme_ver",
    "control_measures": "measures",
    "assessed_at": "assessed",
    "next_review_at": "next_rev",
    "asset_collection": "asset_coll",
    # the published five- and four-colour maps
    "vulnerability": "vulnerab",
    "explanation": "explain",
    "computed_at": "computed",
}


def short(name: str) -> str:
    """The shapefile column for a field, child list or key column."""
    return SHORT.get(name, name)


def columns_of(spec: CollectionSpec) -> list[str]:
    """Every name a collection writes as a column: fields, nested lists, reference numbers."""
    return [f.name for f in spec.fields] + [c.name for c in spec.children] + list(numbers(spec))


def expand(spec: CollectionSpec, column: str) -> str | None:
    """The field (or nested list) a shapefile column stands for, or None if it is not one.

    Matched without regard to case, since some tools write dBase names in capitals.
    """
    wanted = column.strip().lower()
    for name in columns_of(spec):
        if short(name).lower() == wanted:
            return name
    return None
