"""No 5xx from any input (issue 15 item 1): schemathesis fuzzes every operation of the app's own
OpenAPI document, reads and writes, signed in as an admin, on both databases.

Every run is derandomised, so a red CI run replays as it was. CI runs schemathesis's
boundary-value (coverage) phase and a few generated examples per operation
(``RESILIENCE_FUZZ_EXAMPLES``, default 5; ``RESILIENCE_FUZZ_COVERAGE=0`` skips the boundary
values): about 45 s on SpatiaLite and 75 s on PostGIS. ``make fuzz`` runs 200 examples. The
fuzzer writes, so it gets a database of its own per dialect (the small demo city, so the ids it
guesses often exist) and nothing leaks into the other tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error

from tests.conftest import DIALECTS, fresh_database

EXAMPLES = int(os.environ.get("RESILIENCE_FUZZ_EXAMPLES", "5"))
COVERAGE = os.environ.get("RESILIENCE_FUZZ_COVERAGE", "1") == "1"
SEED = 2026


@pytest.fixture(scope="module", params=DIALECTS)
def fuzz_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[Any, str]]:
    """An app on a fresh database with the small demo city, and an admin token for it."""
    from demo import city as demo
    from resilience import accounts
    from resilience.db import make_engine, make_sessions, unit_of_work
    from resilience.migrate import upgrade
    from resilience.settings import Settings
    from web.app import create_app

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    url = fresh_database(request.config, request.param, f"resilience_fuzz_{worker}", tmp)
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_sessions(engine)) as s:
        demo.load(s, segments=120)
        _, token = accounts.issue_token(s, "admin", days=1)
    engine.dispose()
    app = create_app(Settings(database_url=url, instance_path=tmp,
                              secret_key="fuzz-secret").resolved())
    yield app, token
    app.extensions["resilience"]["engine"].dispose()


def _schema() -> Any:
    """The document ``/api/openapi.json`` serves, set up for a bounded, repeatable run.

    Built when the module is collected, as schemathesis makes one test per operation from it;
    it reads no database, so each dialect's test calls that dialect's own app.
    """
    import web.app  # noqa: F401 - registers every collection the document lists
    from web.api.openapi import document

    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "suppress-health-check": ["all"],
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True,
                       "database": "none"},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": COVERAGE},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
        "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
    })
    return schemathesis.openapi.from_dict(document("http://localhost"), config=config)


schema = _schema()


@pytest.mark.slow
@schema.parametrize()  # type: ignore[untyped-decorator]  # schemathesis types it bare
def test_no_operation_answers_5xx(case: Any, fuzz_app: tuple[Any, str]) -> None:
    app, token = fuzz_app
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error])


def test_openapi_document_is_valid(tmp_path: Path) -> None:
    """The document as served is valid OpenAPI 3.0 (a numeric exclusiveMinimum or an empty
    ``required`` list made schemathesis refuse whole operations). It reads no database."""
    from openapi_spec_validator import OpenAPIV30SpecValidator

    from resilience.settings import Settings
    from web.app import create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/unused.db", instance_path=tmp_path,
                              secret_key="doc-secret").resolved())
    doc = app.test_client().get("/api/openapi.json").get_json()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
              for e in OpenAPIV30SpecValidator(doc).iter_errors()]
    assert errors == []
