"""/metrics: operators only, and labels no client can multiply."""

import re
import secrets
from pathlib import Path

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from reflective.errors import Messages
from reflective.tests.production import run_production

TOKEN = secrets.token_urlsafe(24)


def series_count(text: str, metric: str) -> int:
    return len(re.findall(rf"^{metric}\{{", text, re.MULTILINE))


@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_need_the_operator_token(anon: APIClient) -> None:
    for authorization in ("", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}"):
        anon.credentials(HTTP_AUTHORIZATION=authorization)
        response = anon.get("/metrics")
        assert response.status_code == 403
        assert response.json() == {
            "code": "metrics_forbidden",
            "detail": Messages.METRICS_FORBIDDEN,
        }


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_operator_token_reads_metrics_from_any_address(anon: APIClient) -> None:
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    response = anon.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert b"reflective_http_requests_total" in response.content


@override_settings(METRICS_TOKEN="", METRICS_LOOPBACK_WITHOUT_TOKEN=True)
def test_without_a_token_development_serves_only_this_machine(anon: APIClient) -> None:
    assert anon.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert anon.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert anon.get("/metrics", REMOTE_ADDR="192.168.1.20").status_code == 403


@override_settings(METRICS_TOKEN="", METRICS_LOOPBACK_WITHOUT_TOKEN=False)
def test_without_a_token_production_serves_nobody(anon: APIClient) -> None:
    assert anon.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_random_methods_and_paths_add_no_series() -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    def counts() -> tuple[int, int]:
        text = client.get("/metrics").content.decode()
        requests_total = series_count(text, "reflective_http_requests_total")
        return requests_total, series_count(text, "reflective_http_request_duration_seconds_count")

    for method in ("GET", "BREW", "PROPFIND"):  # the labels these requests may create
        client.generic(method, f"/api/no-such-{secrets.token_hex(4)}")
    client.get(f"/api/sync/backup/{secrets.token_hex(8)}")
    client.get("/metrics")
    before = counts()
    for _ in range(40):
        method = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
        client.generic(method, f"/api/no-such-{secrets.token_hex(8)}")
        client.get(f"/api/sync/backup/{secrets.token_hex(8)}")  # one pattern, many ids
    assert counts() == before


def test_unknown_methods_are_labelled_other() -> None:
    from django.test import RequestFactory

    from reflective.lib.observability import method_label

    factory = RequestFactory()
    assert method_label(factory.generic("PATCH", "/")) == "PATCH"
    assert method_label(factory.generic("BREW", "/")) == "other"
    assert method_label(factory.generic("TRACE", "/")) == "other"


def test_production_refuses_to_start_with_a_guessable_metrics_token(tmp_path: Path) -> None:
    done = run_production(["manage.py", "check"], tmp_path, METRICS_TOKEN="metrics")
    assert done.returncode != 0
    assert "METRICS_TOKEN" in done.stderr
    assert run_production(["manage.py", "check"], tmp_path, METRICS_TOKEN=TOKEN).returncode == 0
