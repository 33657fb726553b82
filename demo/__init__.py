"""The demo city: Hangzhou's real districts with a generated, plausible registry on top.

Loaded by ``resilience demo`` (and ``make run``); a top floor that may import ``resilience``,
``inventory`` and ``risk`` and that nothing below imports. Its tables are data
(``demo/data/``); its modules are named after what they make:

- ``city``: ``generate`` (pure, seeded) and ``load`` (idempotent, never commits).
- ``districts``, ``space``: the divisions, and the ground in lon/lat and metres.
- ``streets``, ``lanes``, ``segments``, ``pipe_attributes``, ``street_assets``: the network.
- ``tunnels``, ``shelters``, ``flood_points``: the other assets.
- ``hazard_zones`` (``zone_parts``, ``water_zones``, ``geological_zones``), ``risk_points``.
- ``users``, ``inserts``, ``summary``: sign-ins, writing, counting.
- ``hidden_hazards``, ``inspection_plans``, ``changes``: the city at work, and a week later.
"""
