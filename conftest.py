"""Fixtures every app's tests share: named users and API clients.

alice owns the data under test, bob is another user with the same tier, charlie is a
stranger on the default tier. Clients authenticate with real access tokens.
"""

import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tiers import PrivacyTier
from tests.smtp import Inbox, running_smtp

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(email: str, tier: str = PrivacyTier.LOCAL_ONLY, **fields: object) -> User:
        return User.objects.create_user(email, PASSWORD, privacy_tier=tier, **fields)

    return make


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice@example.com", PrivacyTier.FULL_SYNC)


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob@example.com", PrivacyTier.FULL_SYNC)


@pytest.fixture
def charlie(make_user: Callable[..., User]) -> User:
    return make_user("charlie@example.com")


def client_for(user: User) -> APIClient:
    """An API client holding a real access token for ``user`` (one login session)."""
    from accounts.tokens import session_start

    client = APIClient()
    tokens = session_start(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return client


@pytest.fixture
def api_alice(alice: User) -> APIClient:
    return client_for(alice)


@pytest.fixture
def api_bob(bob: User) -> APIClient:
    return client_for(bob)


@pytest.fixture
def api_charlie(charlie: User) -> APIClient:
    return client_for(charlie)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    """Mail goes over SMTP to a real server started for the test; its inbox is returned."""
    with running_smtp() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = inbox.host
        settings.EMAIL_PORT = inbox.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield inbox


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def skip_outside_ci(reason: str) -> NoReturn:
    """Skip a test whose needs this machine lacks; in CI the same gap fails the run.

    Every skip in the suite goes through here, so CI (``CI=true``) runs every test or
    says which one it could not.
    """
    if in_ci():
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


@pytest.hookimpl(trylast=True)  # after ``-m`` has deselected what it will
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On SQLite, ``postgres_only`` tests are skipped; in CI they must be deselected instead.

    CI runs the suite twice (see .ci/run): on SQLite with ``-m 'not postgres_only'``, then on
    PostgreSQL, where they run. A CI run on SQLite that still holds one would skip it, so it
    stops before running anything.
    """
    if connection.vendor == "postgresql":
        return
    needs_postgres = [item for item in items if "postgres_only" in item.keywords]
    if in_ci() and needs_postgres:
        raise pytest.UsageError(
            f"{len(needs_postgres)} postgres_only tests cannot run on SQLite: CI runs them on "
            "PostgreSQL (DATABASE_URL) and deselects them here with -m 'not postgres_only'"
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL; CI runs it with DATABASE_URL set")
    for item in needs_postgres:
        item.add_marker(skip)


def run_in_threads(
    targets: list[Callable[[], object]], *, together: bool = False
) -> list[BaseException]:
    """Run each target in its own thread (own connection, closed at the end); the errors.

    ``together`` holds every thread at a barrier until all have started, to race them.
    """
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets)) if together else None

    def guarded(target: Callable[[], object]) -> None:
        try:
            if barrier is not None:
                barrier.wait()
            target()
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors
