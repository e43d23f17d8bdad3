"""The read router: which database a request reads, and when a user's write position is kept.

These run without a replica. The replica itself (replay paused, queries counted per
server) is proven by the cluster drill: bench/cluster_drill.py.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.tests.conftest import payload, push
from reflective.lib import replicas


@pytest.fixture(autouse=True)
def _reads_start_on_the_primary() -> Iterator[None]:
    yield
    replicas._read_alias.set(DEFAULT_DB_ALIAS)  # as the next request's middleware would


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """A replica that is configured but never caught up; positions are collected."""
    positions: list[object] = []
    monkeypatch.setattr(replicas, "replica_configured", lambda: True)
    monkeypatch.setattr(replicas, "replica_caught_up", lambda user_id: False)
    monkeypatch.setattr(replicas, "write_position_record", positions.append)
    return positions


def _push(client: APIClient, entry_id: str) -> None:
    assert push(client, payload(entry_id, "a day")).status_code == 201


def test_without_a_replica_everything_reads_the_primary_and_nothing_is_recorded(
    alice: User, api_alice: APIClient
) -> None:
    _push(api_alice, "e1")
    assert api_alice.get("/api/sync/backups").status_code == 200
    assert replicas.reading_alias() == DEFAULT_DB_ALIAS
    assert cache.get(f"replicas:write-lsn:{alice.pk}") is None


def test_a_write_records_the_users_position(
    alice: User, api_alice: APIClient, recorded: list[object]
) -> None:
    _push(api_alice, "e1")
    assert recorded == [alice.pk]


def test_reader_views_record_no_position_not_even_a_post(
    api_alice: APIClient, recorded: list[object]
) -> None:
    assert api_alice.get("/api/sync/backups").status_code == 200
    body = {"metric_type": "mood", "operation": "sum"}
    api_alice.post("/api/encryption/aggregate", body, format="json")
    assert recorded == []


def test_a_replica_behind_the_users_write_sends_the_read_to_the_primary(
    alice: User, recorded: list[object]
) -> None:
    assert replicas.replica_reads_begin(alice.pk) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)  # a test inside a transaction would read the primary
def test_a_caught_up_replica_serves_reads_but_never_inside_a_transaction(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replicas, "replica_configured", lambda: True)
    monkeypatch.setattr(replicas, "replica_caught_up", lambda user_id: True)
    assert replicas.replica_reads_begin(alice.pk) == replicas.REPLICA
    assert replicas.PrimaryReplicaRouter().db_for_read(User) == replicas.REPLICA
    with transaction.atomic():
        assert replicas.PrimaryReplicaRouter().db_for_read(User) == DEFAULT_DB_ALIAS


def test_an_unreadable_cache_means_the_primary(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", broken)
    assert replicas.replica_caught_up(alice.pk) is False


def test_writes_and_migrations_go_to_the_primary_only() -> None:
    router = replicas.PrimaryReplicaRouter()
    assert router.db_for_write(User) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "accounts")
    assert not router.allow_migrate(replicas.REPLICA, "accounts")
