"""``datetime`` on the items API, on both databases: instants and intervals with open ends on a
date property (survey dates) and on an instant (a hidden hazard's ``found_at``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests import factories as f

GEO = "application/geo+json"


@pytest.fixture
def surveyed(client: Any, auth: Any) -> dict[str, int]:
    out = {}
    for i, day in enumerate(["2020-05-01", "2021-01-01", "2021-01-02", "2023-01-15", None]):
        feat = f.pipeline((120.08 + i * 0.002, 30.28), survey_date=day)
        resp = client.post("/api/collections/pipelines/items", data=json.dumps(feat),
                           headers=auth.headers("admin"), content_type=GEO)
        assert resp.status_code == 201, resp.get_json()
        out[day or "none"] = int(resp.get_json()["id"])
    return out


def ids(client: Any, auth: Any, collection: str, when: str) -> set[int]:
    resp = client.get(f"/api/collections/{collection}/items?limit=1000&datetime={quote(when)}",
                      headers=auth.headers("admin"))
    assert resp.status_code == 200, resp.get_json()
    return {int(feat["id"]) for feat in resp.get_json()["features"]}


@pytest.mark.parametrize(("when", "days"), [
    ("2021-01-01", ["2021-01-01"]),
    ("2021-01-01T23:30:00Z", ["2021-01-01"]),  # an instant on a date compares on its date
    ("2021-01-02T00:30:00+08:00", ["2021-01-02"]),  # its date as written
    ("2021-01-01/2021-01-02", ["2021-01-01", "2021-01-02"]),  # both ends included
    ("2020-06-01T00:00:00Z/2021-01-01T08:00:00Z", ["2021-01-01"]),
    ("../2021-01-01", ["2020-05-01", "2021-01-01"]),
    ("/2021-01-01", ["2020-05-01", "2021-01-01"]),
    ("2021-01-02/..", ["2021-01-02", "2023-01-15"]),
    ("2021-01-02/", ["2021-01-02", "2023-01-15"]),
    ("../..", ["2020-05-01", "2021-01-01", "2021-01-02", "2023-01-15"]),  # empty dates: none
    ("2021-01-02T", ["2021-01-02"]),  # GDAL's date with an empty time
    ("2021-01-02T/..", ["2021-01-02", "2023-01-15"]),  # GDAL's datetime=2021-01-02T%2F..
    ("2023-01-15T10Z/..", ["2023-01-15"]),  # GDAL's hour alone
    ("2030-01-01", []),  # the future is a fine place to look
])
def test_instants_and_intervals_on_a_date(client: Any, auth: Any, surveyed: dict[str, int],
                                          when: str, days: list[str]) -> None:
    assert ids(client, auth, "pipelines", when) == {surveyed[d] for d in days}


@pytest.mark.parametrize("when", ["yesterday", "2021-13-01", "2021-01-01/2020-01-01", "..", "",
                                  "2021-01-01/2021-02-01/2021-03-01", "2021-01-01T25:00:00Z",
                                  "2021-01-01T10:00:00+25:00", "2021-1-1", "/"])
def test_malformed_datetime_is_400_naming_it(client: Any, auth: Any, when: str) -> None:
    resp = client.get(f"/api/collections/pipelines/items?datetime={quote(when)}",
                      headers=auth.headers("admin"))
    if when == "/":  # both ends open, as "../..": every dated record
        assert resp.status_code == 200
        return
    assert resp.status_code == 400, when
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["errors"][0]["field"] == "datetime"
    assert resp.get_json()["errors"][0]["code"] == "invalid_datetime"


def test_datetime_on_an_instant(client: Any, auth: Any, session: Session) -> None:
    """A hidden hazard's temporal property is ``found_at``, a UTC instant."""
    from inventory.inspections.hazards import Hazard

    found = {}
    for moment in (datetime(2024, 3, 1, 1, 30, tzinfo=UTC), datetime(2024, 3, 1, 23, 59, tzinfo=UTC),
                   datetime(2024, 3, 2, 0, 0, tzinfo=UTC)):
        body = f.feature(f.point(), category="cover_damaged", description="井盖破损")
        resp = client.post("/api/collections/hazards/items", data=json.dumps(body),
                           headers=auth.headers("admin"), content_type=GEO)
        assert resp.status_code == 201, resp.get_json()
        key = int(resp.get_json()["id"])
        session.execute(update(Hazard.__table__).where(Hazard.__table__.c.id == key)
                        .values(found_at=moment))
        found[moment.strftime("%d %H:%M")] = key
    session.commit()
    first, late, next_day = found["01 01:30"], found["01 23:59"], found["02 00:00"]
    assert ids(client, auth, "hazards", "2024-03-01") == {first, late}  # the whole day
    assert ids(client, auth, "hazards", "2024-03-01T01:30:00Z") == {first}
    assert ids(client, auth, "hazards", "2024-03-01T09:30:00+08:00") == {first}
    assert ids(client, auth, "hazards", "2024-03-01T02:00:00Z/..") == {late, next_day}
    assert ids(client, auth, "hazards", "../2024-03-01T23:59:00Z") == {first, late}
    assert ids(client, auth, "hazards", "2024-03-01T23:59:00Z/2024-03-02") == {late, next_day}
    assert ids(client, auth, "hazards", "2024-02-01/2024-02-29") == set()


def test_datetime_under_a_filter_and_the_divisions(client: Any, auth: Any,
                                                   surveyed: dict[str, int]) -> None:
    where = quote("survey_date IS NOT NULL")
    resp = client.get(f"/api/collections/pipelines/items?datetime=2021-01-01/..&filter={where}",
                      headers=auth.headers("engineer_sc"))  # 上城区: none of these
    assert resp.status_code == 200 and resp.get_json()["features"] == []


def test_a_collection_without_time_ignores_datetime(client: Any, auth: Any) -> None:
    """Divisions have no temporal property: the parameter is checked, and selects nothing out."""
    every = client.get("/api/collections/divisions/items?limit=1000",
                       headers=auth.headers("viewer")).get_json()
    dated = client.get("/api/collections/divisions/items?limit=1000&datetime=2020-01-01/..",
                       headers=auth.headers("viewer")).get_json()
    assert len(dated["features"]) == len(every["features"]) > 0
    bad = client.get("/api/collections/divisions/items?datetime=soon",
                     headers=auth.headers("viewer"))
    assert bad.status_code == 400
