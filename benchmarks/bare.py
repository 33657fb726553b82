"""The yardstick: a bare Flask route running the same bbox query, no auth, no registry code.

On PostGIS the database builds the whole FeatureCollection (the "1.7 ms" route of the issue);
on SpatiaLite the rows are dumped with json in Python. Run under the same gunicorn settings.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request
from sqlalchemy import text

from inventory import Pipeline
from resilience.db import make_engine

URL = os.environ["RESILIENCE_DATABASE_URL"]
engine = make_engine(URL)
app = Flask(__name__)

COLUMNS = ", ".join(c for c in Pipeline.__table__.c.keys() if c != "geom")
PG = text(f"""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
  json_build_object('type', 'Feature', 'id', t.id, 'geometry', t.gj::json,
                    'properties', to_jsonb(t) - 'gj' - 'id')), '[]'::json))::text
FROM (SELECT {COLUMNS}, ST_AsGeoJSON(geom, 8) AS gj FROM pipelines
      WHERE ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4490))
        AND division_code >= :lo AND division_code < :hi AND retired_at IS NULL
      ORDER BY id LIMIT :n) t
""")
LITE = text("""
SELECT *, AsGeoJSON(geom, 8) AS gj FROM pipelines
WHERE id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'pipelines'
             AND f_geometry_column = 'geom' AND search_frame = BuildMbr(:a, :b, :c, :d, 4490))
  AND ST_Intersects(geom, BuildMbr(:a, :b, :c, :d, 4490)) = 1
  AND division_code >= :lo AND division_code < :hi AND retired_at IS NULL
ORDER BY id LIMIT :n
""")


@app.get("/bare")
def bare() -> Response:
    a, b, c, d = (float(v) for v in request.args["bbox"].split(","))
    prefix = request.args.get("division", "330106")
    params = {"a": a, "b": b, "c": c, "d": d, "lo": prefix, "hi": prefix + ":",
              "n": int(request.args.get("limit", 100))}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            body = conn.execute(PG, params).scalar()
        else:
            feats = []
            for row in conn.execute(LITE, params).mappings():
                props = {k: v for k, v in row.items() if k not in ("geom", "gj", "id")}
                text_props = json.dumps(props, default=str, ensure_ascii=False)
                feats.append(f'{{"type":"Feature","id":{row["id"]},"geometry":{row["gj"]},'
                             f'"properties":{text_props}}}')
            body = '{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}"
    return Response(body, mimetype="application/geo+json")
