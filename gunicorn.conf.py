"""gunicorn's settings beside the command line: prometheus-client's multiprocess folder.

gunicorn reads this file from the working folder (``/app`` in the image). With
``PROMETHEUS_MULTIPROC_DIR`` set, each worker keeps its request timings in files there and a
scrape of any worker sums them all (web/observability.py): the folder is emptied when the
master starts (timings of a previous run would be counted again) and a stopped worker's
files are marked dead so its live gauges stop counting.
"""

from __future__ import annotations

import os
import shutil
from typing import Any


def on_starting(server: Any) -> None:
    """Start every run with an empty metrics folder."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Forget a stopped worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
