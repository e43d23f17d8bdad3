"""The tag feed under concurrent writers: positions commit in order, so no pull misses one."""

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from accounts.models import User
from changefeed.feed import feed_cursor
from conftest import client_for
from tags.models import Tag
from tags.services import tag_create, tag_touch
from tags.tests.conftest import in_thread, lock_waiters, name_payload, sealed_name

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def _until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_later_write_cannot_commit_before_an_earlier_position(alice: User) -> None:
    first = tag_create(user=alice, **sealed_name("First")).tag
    second = tag_create(user=alice, **sealed_name("Second")).tag
    cursor = feed_cursor(user=alice)
    reader = client_for(alice)
    holding, release = threading.Event(), threading.Event()
    results: list[Any] = []

    def touch_and_hold() -> Tag:
        with transaction.atomic():
            tag = tag_touch(user=alice, tag_id=first.pk)
            holding.set()
            release.wait(timeout=10)
        return tag

    def touch_later() -> Tag:
        holding.wait(timeout=10)
        return tag_touch(user=alice, tag_id=second.pk)

    threads = [in_thread(touch_and_hold, results), in_thread(touch_later, results)]
    for thread in threads:
        thread.start()
    later_waited = _until(lambda: lock_waiters() > 0)
    seen_meanwhile = reader.get(f"/api/tags?cursor={cursor}").json()["tags"]
    release.set()
    for thread in threads:
        thread.join(timeout=20)

    assert later_waited
    assert seen_meanwhile == []
    held, later = sorted(results, key=lambda tag: tag.seq)
    assert (held.pk, later.pk) == (first.pk, second.pk)
    assert later.seq == held.seq + 1


def test_a_device_pulling_during_concurrent_writes_ends_with_every_change(alice: User) -> None:
    devices, writes_each = 4, 8
    tags = [tag_create(user=alice, **sealed_name(f"tag {n}")).tag for n in range(devices)]
    start = threading.Barrier(devices + 1)
    done = threading.Event()
    outcomes: list[Any] = []
    seen: dict[str, int] = {}

    def write(device: int) -> int:
        client = client_for(alice)
        start.wait(timeout=10)
        for n in range(writes_each):
            if n % 2:
                client.post(f"/api/tags/{tags[device].pk}/touch")
            else:
                client.post("/api/tags", name_payload(f"device {device} tag {n}"), format="json")
        return device

    def pull() -> int:
        client = client_for(alice)
        cursor = 0
        start.wait(timeout=10)
        while True:
            finished = done.is_set()
            body = client.get(f"/api/tags?cursor={cursor}&limit=3").json()
            seen.update({tag["id"]: tag["seq"] for tag in body["tags"]})
            cursor = body["next_cursor"]
            if finished and not body["has_more"]:
                return int(cursor)

    writers = [in_thread(functools.partial(write, d), outcomes) for d in range(devices)]
    reader_result: list[Any] = []
    reader = in_thread(pull, reader_result)
    for thread in [*writers, reader]:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    done.set()
    reader.join(timeout=60)

    assert sorted(outcomes) == list(range(devices))
    final = dict(Tag.objects.filter(user=alice).values_list("id", "seq"))
    assert seen == {str(tag_id): seq for tag_id, seq in final.items()}
    last = feed_cursor(user=alice)
    assert reader_result == [last]
    assert last == devices + devices * writes_each
