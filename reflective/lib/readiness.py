"""Readiness checks beyond the database: each app registers what it needs in order to serve.

``GET /api/health/ready`` runs every registered check; a check that raises or returns False
makes the node unready (503), so a load balancer sends its traffic elsewhere.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger("reflective.health")

ReadinessCheck = Callable[[], bool]
_checks: dict[str, ReadinessCheck] = {}


def register_readiness(name: str, check: ReadinessCheck) -> None:
    """Called from an app's ``AppConfig.ready``; ``name`` is the key in the readiness answer."""
    _checks[name] = check


def run_check(name: str, check: ReadinessCheck) -> bool:
    try:
        return bool(check())
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        logger.warning("readiness: %s", name, extra={"error": type(exc).__name__})
        return False


def readiness_results() -> dict[str, bool]:
    return {name: run_check(name, check) for name, check in _checks.items()}
