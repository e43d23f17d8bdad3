"""Schemathesis drives every operation in /api/schema/ with generated input.

Each example logs in a fresh full_sync user, so destructive operations (account delete,
password change, tier revoke) cannot spoil the next example. Checks: no 5xx, every status
is documented, and every documented body matches its schema.
"""

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from accounts.tiers import PrivacyTier
from accounts.tokens import session_start
from conftest import PASSWORD
from reflective.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Bounded so the whole run stays near a minute in CI; the local_only pass only has to show
# that every gated operation refuses cleanly.
FULL_SYNC_EXAMPLES = 12
LOCAL_ONLY_EXAMPLES = 3


def _bearer_for_new_user(tier: str) -> dict[str, str]:
    user = User.objects.create_user(f"{uuid.uuid4().hex}@example.com", PASSWORD, privacy_tier=tier)
    return {"Authorization": f"Bearer {session_start(user=user)['access_token']}"}


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """Like Django's test client: the WSGI handler must not close the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _fuzz_settings(examples: int) -> settings:
    # CI replays the same examples on every run, so a red build always means a change
    # broke something; elsewhere each run draws new ones and keeps searching.
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CI") == "true",
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.slow
@schema.parametrize()
@_fuzz_settings(FULL_SYNC_EXAMPLES)
def test_full_sync_user_gets_documented_answers(
    case: schemathesis.Case[Any], db: None, wsgi_keeps_the_test_connection: None
) -> None:
    case.call_and_validate(headers=_bearer_for_new_user(PrivacyTier.FULL_SYNC), checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@_fuzz_settings(LOCAL_ONLY_EXAMPLES)
def test_local_only_user_gets_documented_answers(
    case: schemathesis.Case[Any], db: None, wsgi_keeps_the_test_connection: None
) -> None:
    case.call_and_validate(headers=_bearer_for_new_user(PrivacyTier.LOCAL_ONLY), checks=CHECKS)
