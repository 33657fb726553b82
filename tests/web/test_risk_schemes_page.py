"""The scoring schemes page: versions listed, a new version by an admin, errors by field."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from risk.schemes import DEFAULT_COMPOSITE, RiskScheme
from tests.web.test_dashboard import sign_in


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_an_admin_saves_a_new_version_and_bad_breaks_are_named(client: Any,
                                                                session: Session) -> None:
    sign_in(client, "admin", "admin-demo-2026")
    html = client.get("/risk/schemes").get_data(as_text=True)
    assert "composite_default" in html and "lec_default" in html and "ls_r9_general" in html
    token = _token(html)
    bad = {**DEFAULT_COMPOSITE, "breaks": [0.3, 0.2, 0.4, 0.5]}
    resp = client.post("/risk/schemes", data={"csrf_token": token, "name": "composite_default",
                                              "params": json.dumps(bad), "note": ""})
    assert resp.status_code == 422
    assert "params.breaks" in resp.get_data(as_text=True)
    resp = client.post("/risk/schemes", data={"csrf_token": token, "name": "composite_default",
                                              "params": "{not json", "note": ""})
    assert resp.status_code == 422 and "JSON" in resp.get_data(as_text=True)
    good = {**DEFAULT_COMPOSITE, "breaks": [0.05, 0.1, 0.2, 0.3]}
    resp = client.post("/risk/schemes", data={"csrf_token": token, "name": "composite_default",
                                              "params": json.dumps(good), "note": "更严"})
    assert resp.status_code == 302 and "saved=composite_default" in resp.headers["Location"]
    versions = session.scalars(select(RiskScheme.version).where(
        RiskScheme.name == "composite_default").order_by(RiskScheme.version)).all()
    assert versions == [1, 2, 3]  # v1 and v2 are shipped; the admin's is the next
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "更严" in html and "0.05" in html  # the form opens on the newest version


def test_others_read_the_schemes_but_may_not_save(client: Any) -> None:
    assert client.get("/risk/schemes").status_code == 302  # sign in first
    sign_in(client, "manager", "manager-demo-2026")
    html = client.get("/risk/schemes").get_data(as_text=True)
    assert 'id="scheme-form"' not in html and "composite_default" in html
    resp = client.post("/risk/schemes", data={"name": "x", "params": "{}"})
    assert resp.status_code == 403
