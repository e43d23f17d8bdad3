"""The registry to expose: per-process, or merged across gunicorn workers.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` is set (see gunicorn.conf.py) and every worker
writes its samples there, so ``/metrics`` reports the whole server, not one worker.
"""

import os

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess


def metrics_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
