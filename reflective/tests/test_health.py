from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from reflective.lib import readiness


def test_liveness_answers_without_auth(anon: APIClient) -> None:
    response = anon.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_database_and_tenseal(db: None, anon: APIClient) -> None:
    response = anon.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "tenseal": True}


@pytest.fixture
def broken_check() -> Iterator[None]:
    def unready() -> bool:
        raise RuntimeError("the library failed to load")

    readiness.register_readiness("broken", unready)
    yield
    del readiness._checks["broken"]


def test_a_failing_app_check_makes_the_node_unready(
    db: None, anon: APIClient, broken_check: None
) -> None:
    """A check that raises is reported false, without the exception's text, and answers 503."""
    response = anon.get("/api/health/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "tenseal": True, "broken": False},
    }


def test_unknown_api_route_is_a_json_404(anon: APIClient) -> None:
    response = anon.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
