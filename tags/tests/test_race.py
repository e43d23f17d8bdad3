"""Creates of the same tag racing from several devices end with one tag that all of them get."""

import functools
import threading
import time
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from accounts.models import User
from conftest import client_for
from tags.models import Tag
from tags.services import tag_create
from tags.tests.conftest import in_thread, lock_waiters, name_payload, sealed_name

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_create_racing_an_uncommitted_create_gets_the_winners_tag(alice: User) -> None:
    """The second create runs while the first has inserted but not yet committed."""
    inserted, release = threading.Event(), threading.Event()
    first: list[Any] = []
    second: list[Any] = []
    client = client_for(alice)

    def create_and_hold() -> Tag:
        with transaction.atomic():
            tag = tag_create(user=alice, **sealed_name("Morning pages")).tag
            inserted.set()
            release.wait(timeout=10)
        return tag

    def create_over_http() -> Any:
        inserted.wait(timeout=10)
        return client.post("/api/tags", name_payload("morning pages"), format="json")

    threads = [in_thread(create_and_hold, first), in_thread(create_over_http, second)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while lock_waiters() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    blocked = lock_waiters() > 0
    release.set()
    for thread in threads:
        thread.join(timeout=20)

    assert blocked, "the second create never waited for the first"
    winner = first[0]
    response = second[0]
    assert isinstance(winner, Tag)
    assert response.status_code == 200
    assert response.json()["id"] == str(winner.pk)
    assert Tag.objects.filter(user=alice).count() == 1


def test_simultaneous_creates_of_one_name_make_one_tag(alice: User) -> None:
    devices = 6
    clients = [client_for(alice) for _ in range(devices)]
    start = threading.Barrier(devices)
    responses: list[Any] = []

    def create(client: APIClient) -> Any:
        start.wait(timeout=10)
        return client.post("/api/tags", name_payload("Dreams"), format="json")

    threads = [in_thread(functools.partial(create, client), responses) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (devices - 1) + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert Tag.objects.filter(user=alice).count() == 1
