from rest_framework.test import APIClient


def test_liveness_answers_without_auth(anon: APIClient) -> None:
    response = anon.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_database_and_tenseal(db: None, anon: APIClient) -> None:
    response = anon.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "tenseal": True}


def test_unknown_api_route_is_a_json_404(anon: APIClient) -> None:
    response = anon.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
