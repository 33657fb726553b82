"""Risk runs: request one (one at a time), carry it out, publish it atomically, keep its diff.

The public use cases the CLI, the API, the pages and the scheduler share:

- :func:`request` records a queued run and the job that will carry it out (409 while
  another run is queued or running: ``risk_runs.active`` is a unique key).
- :func:`execute` computes both maps for a run (full, or incremental over what changed
  since the last run) and replaces the published rows in one transaction.
- :func:`run_now` does both in the calling process (``resilience risk run``).
- :func:`history`, :func:`get`, :func:`changes`, :func:`published` read them back.
"""

from __future__ import annotations
