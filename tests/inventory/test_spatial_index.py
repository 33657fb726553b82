"""The bbox filter goes through the spatial index on both databases (EXPLAIN, not timing)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory import Query, repository
from inventory.service import collection
from resilience import accounts


def _plan(session: Session, stmt: object) -> str:
    bind = session.get_bind()
    compiled = stmt.compile(bind)  # type: ignore[attr-defined]
    sql = str(compiled)
    conn = session.connection()
    if bind.dialect.name == "sqlite":
        params = tuple(compiled.params[k] for k in compiled.positiontup)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
        return "\n".join(str(r[-1]) for r in rows)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = conn.exec_driver_sql("EXPLAIN " + sql, compiled.params).all()
    return "\n".join(r[0] for r in rows)


def test_bbox_query_uses_the_spatial_index(session: Session) -> None:
    spec = collection("pipelines")
    principal = accounts.principal_of(accounts.get_user(session, "engineer"))
    q = Query(bbox=(120.07, 30.27, 120.09, 30.29), limit=100)
    stmt, _ = repository.matching_keys(session, spec, principal, q)
    plan = _plan(session, stmt)
    if session.get_bind().dialect.name == "sqlite":
        assert "SpatialIndex" in plan or "VIRTUAL TABLE INDEX" in plan, plan
    else:
        assert "idx_pipelines_geom" in plan, plan


def test_division_filter_is_an_index_range(session: Session) -> None:
    spec = collection("pipelines")
    principal = accounts.principal_of(accounts.get_user(session, "engineer"))
    stmt, _ = repository.matching_keys(session, spec, principal, Query(limit=100))
    plan = _plan(session, stmt)
    assert "division" in plan, plan
