"""Every URL of the app, asked with no credentials: public ones answer, the rest refuse.

A view that forgot ``@signed_in`` (or ``@roles``) shows up here as a 200 or a 500 where a
redirect to the login page (pages) or a 401 (the API, the tiles, what scripts fetch) belongs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

# What answers without credentials, by endpoint and method, and how.
PUBLIC: dict[str, dict[str, int]] = {
    "pages.index": {"GET": 302},  # to the login page (or the map once signed in)
    "pages.login_page": {"GET": 200, "POST": 400},  # a POST without the form's CSRF token: 400
    "pages.logout_page": {"POST": 400},  # likewise
    "pages.set_language": {"GET": 302},  # back where it came from
    "static": {"GET": 200},
    "api.landing": {"GET": 200},
    "api.conformance": {"GET": 200},
    "api.health": {"GET": 200},
    "openapi.openapi": {"GET": 200},
    "api_docs.docs": {"GET": 200},  # the OpenAPI document for people: no registry data
    "tilesets.tile_matrix_sets": {"GET": 200},  # standard definitions, no registry data
    "tilesets.tile_matrix_set": {"GET": 200},
    "inspect.service_worker": {"GET": 200},  # the offline shell of the inspection pages
    "observability.metrics": {"GET": 200},  # the test client is loopback (token or CIDR else)
}
# Page URLs that scripts fetch: a redirect would read as success there, so they answer 401.
FETCHED = {"basemap.tile", "inspect.upload_photo", "map_scripts.script"}  # loaded by a page: 401
SAMPLES = {"name": "pipelines", "collection": "pipelines", "key": "1", "map_": "five",
           "division": "330106", "year": 2025, "fmt": "csv", "code": "en",
           "filename": "css/map.css", "z": "0", "x": "0", "y": "0"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _requests(app: Any) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) for every rule and method of the app, with sample arguments."""
    adapter = app.url_map.bind("localhost")
    out = []
    for rule in app.url_map.iter_rules():
        values = {name: SAMPLES.get(name, 1) for name in rule.arguments}
        for method in sorted(rule.methods & set(METHODS)):
            out.append((rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)))
    return out


def _opens_with_get(app: Any, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - MethodNotAllowed, NotFound
        return False
    return True


def test_every_url_without_credentials_is_public_or_refused(app: Any, client: Any) -> None:
    requests = _requests(app)
    assert len(requests) > 90  # the whole app, not an empty map
    wrong = []
    for endpoint, method, url in requests:
        resp = client.open(url, method=method)
        location = resp.headers.get("Location", "")
        if endpoint in PUBLIC:
            expected = PUBLIC[endpoint].get(method)
            ok = resp.status_code == expected
        elif endpoint in FETCHED or url.startswith(("/api", "/tiles")):
            expected = 401
            ok = resp.status_code == 401
            if url.startswith(("/api", "/tiles")):
                ok = ok and resp.mimetype == "application/problem+json" \
                    and "WWW-Authenticate" in resp.headers
        else:
            expected = 302
            target = urlsplit(location)
            back = parse_qs(target.query).get("next")
            # back to the page itself, or for a form's POST to the page the form is on
            wanted = [url] if method == "GET" else [url] if _opens_with_get(app, url) else None
            ok = resp.status_code == 302 and target.path == "/login" and back == wanted
        if not ok:
            wrong.append(f"{method} {url} ({endpoint}): {resp.status_code} {location}, "
                         f"expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_the_public_list_names_real_endpoints(app: Any) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PUBLIC) | FETCHED <= endpoints


def test_the_login_page_brings_a_page_back_with_its_query(client: Any) -> None:
    resp = client.get("/collections/pipelines?category=gas&limit=20")
    assert resp.status_code == 302
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["next"] == [
        "/collections/pipelines?category=gas&limit=20"]


def test_a_role_outside_the_list_is_refused_before_any_work(client: Any, auth: Any) -> None:
    for user in ("viewer", "manager", "engineer"):
        resp = client.post("/api/risk/schemes", data="{}", content_type="application/json",
                           headers=auth.headers(user))
        assert resp.status_code == 403, user
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["detail"] == "only admins change scoring schemes"
