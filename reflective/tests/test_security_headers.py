"""With production settings every answer carries the security headers, and HTTP redirects."""

from pathlib import Path

import pytest

from reflective.tests.production import PRODUCTION_HOST, production_get, run_production

pytestmark = pytest.mark.slow

SETTINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "DEBUG")}))
"""


def test_https_answers_carry_the_security_headers(tmp_path: Path) -> None:
    answer = production_get("/api/health", tmp_path)
    headers = answer["headers"]
    assert answer["status"] == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_error_answers_carry_them_too(tmp_path: Path) -> None:
    answer = production_get("/api/users/me", tmp_path)
    assert answer["status"] == 401
    assert answer["headers"]["x-frame-options"] == "DENY"
    assert "strict-transport-security" in answer["headers"]


def test_plain_http_is_redirected_to_https(tmp_path: Path) -> None:
    answer = production_get("/api/users/me", tmp_path, scheme="http")
    assert answer["status"] == 301
    assert answer["headers"]["location"] == f"https://{PRODUCTION_HOST}/api/users/me"


def test_health_probes_answer_over_http_for_load_balancers(tmp_path: Path) -> None:
    assert production_get("/api/health", tmp_path, scheme="http")["status"] == 200


def test_cookies_are_secure_only(tmp_path: Path) -> None:
    done = run_production(["-c", SETTINGS_PROBE], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == (
        '{"SESSION_COOKIE_SECURE": true, "CSRF_COOKIE_SECURE": true, '
        '"SECURE_SSL_REDIRECT": true, "DEBUG": false}'
    )
