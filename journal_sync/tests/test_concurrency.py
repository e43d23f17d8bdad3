"""Races against real PostgreSQL: no write is lost, hidden, doubled or silently overwritten."""

import base64
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from conftest import client_for, run_in_threads
from journal_sync.cursor import cursor_decode
from journal_sync.models import EncryptedEntry, EntryConflict
from journal_sync.services.retention import sync_prune
from journal_sync.tests.conftest import payload, push, unseal, write

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


class Puller:
    """A device that pulls with its cursor in a loop and checks every page as it goes."""

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.cursor: str | None = None
        self.seen: list[tuple[int, str]] = []
        self.stop = threading.Event()

    def pull_once(self) -> None:
        while True:
            query: dict[str, Any] = {"limit": 7}
            if self.cursor:
                query["cursor"] = self.cursor
            body = self.client.get("/api/sync/backups", query).json()
            for item in body["backups"]:
                expected_seq = len(self.seen) + 1
                # Every page continues exactly where the last one stopped: no hole, ever.
                assert item["seq"] == expected_seq, (item["seq"], expected_seq)
                self.seen.append((item["seq"], item["id"]))
            self.cursor = body["next_cursor"]
            if not body["has_more"]:
                return

    def run(self) -> None:
        while not self.stop.is_set():
            self.pull_once()
        self.pull_once()


def test_concurrent_pushes_reach_a_pulling_device_once_each_in_order(alice: User) -> None:
    writers, per_writer = 4, 15
    clients = [client_for(alice) for _ in range(writers)]
    puller = Puller(client_for(alice))
    start = threading.Barrier(writers)

    def writer(number: int) -> Callable[[], None]:
        def push_all() -> None:
            start.wait()
            for index in range(per_writer):
                body = payload(f"w{number}-{index}", f"text {index}", device=f"dev-{number}")
                assert push(clients[number], body).status_code == 201

        return push_all

    pull_thread = threading.Thread(target=lambda: run_in_threads([puller.run]))
    pull_thread.start()
    errors = run_in_threads([writer(number) for number in range(writers)])
    puller.stop.set()
    pull_thread.join(timeout=120)
    assert errors == []
    total = writers * per_writer
    assert [seq for seq, _ in puller.seen] == list(range(1, total + 1))
    expected_ids = {f"w{n}-{i}" for n in range(writers) for i in range(per_writer)}
    assert sorted(entry_id for _, entry_id in puller.seen) == sorted(expected_ids)
    assert cursor_decode(puller.cursor or "") == total


def test_a_slow_write_that_started_first_is_not_skipped(alice: User) -> None:
    """Writes that start later cannot commit before it, so no puller's cursor passes it."""
    write(alice, "before", "text")
    holding = threading.Event()
    puller = Puller(client_for(alice))
    followers = [client_for(alice) for _ in range(3)]
    committed: dict[str, float] = {}

    def slow() -> None:
        with transaction.atomic():
            write(alice, "slow", "text", device="slow")
            holding.set()
            time.sleep(0.6)
        committed["slow"] = time.monotonic()

    def follower(number: int) -> Callable[[], None]:
        def push_after_slow_started() -> None:
            assert holding.wait(10)
            body = payload(f"fast-{number}", "text", device=f"fast-{number}")
            assert push(followers[number], body).status_code == 201
            committed[f"fast-{number}"] = time.monotonic()

        return push_after_slow_started

    def pull_while_slow_holds() -> None:
        assert holding.wait(10)
        puller.pull_once()
        # Nothing after the slow write can be visible while it is uncommitted.
        assert [entry_id for _, entry_id in puller.seen] == ["before"]
        puller.run()

    pull_thread = threading.Thread(
        target=lambda: errors.extend(run_in_threads([pull_while_slow_holds]))
    )
    errors: list[BaseException] = []
    pull_thread.start()
    errors.extend(run_in_threads([slow, *(follower(n) for n in range(3))]))
    puller.stop.set()
    pull_thread.join(timeout=120)
    assert errors == []
    assert all(committed[name] >= committed["slow"] for name in committed)
    ids = [entry_id for _, entry_id in puller.seen]
    assert ids[:2] == ["before", "slow"]
    assert sorted(ids[2:]) == ["fast-0", "fast-1", "fast-2"]


def _race_edits(devices: dict[str, APIClient], base: int) -> dict[str, Any]:
    """Both devices push an edit of revision ``base`` at the same moment."""
    start = threading.Barrier(len(devices))
    answers: dict[str, Any] = {}

    def edit(name: str) -> Callable[[], None]:
        def run() -> None:
            body = payload("entry-1", f"{name} edit", device=name, base=base)
            start.wait()
            answers[name] = push(devices[name], body)

        return run

    assert run_in_threads([edit(name) for name in devices]) == []
    return answers


def test_two_devices_editing_the_same_revision_one_wins_one_conflicts(alice: User) -> None:
    devices = {"laptop": client_for(alice), "phone": client_for(alice)}
    write(alice, "entry-1", "base", device="tablet")
    for round_number in range(5):
        answers = _race_edits(devices, base=1 + round_number)
        assert sorted(answer.status_code for answer in answers.values()) == [201, 409]
        loser = next(name for name, answer in answers.items() if answer.status_code == 409)
        conflict = EntryConflict.objects.get(pk=answers[loser].json()["conflict_id"])
        local = {
            "encrypted_content": conflict.local_encrypted_content,
            "content_iv": conflict.local_content_iv,
            "content_tag": conflict.local_content_tag,
        }
        as_b64 = {
            name: base64.b64encode(bytes(value or b"")).decode() for name, value in local.items()
        }
        assert unseal(as_b64, "entry-1") == f"{loser} edit"
        EntryConflict.objects.filter(pk=conflict.pk).delete()


def test_racing_first_uploads_of_one_id_store_one_and_conflict_the_other(alice: User) -> None:
    """Two devices uploading one new id at once: a unique-key race must not become a 500."""
    devices = {"laptop": client_for(alice), "phone": client_for(alice)}
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def create(name: str) -> Callable[[], None]:
        def run() -> None:
            body = payload("same-id", f"{name} text", device=name, base=0)
            start.wait()
            answers[name] = push(devices[name], body)

        return run

    assert run_in_threads([create(name) for name in devices]) == []
    assert sorted(answer.status_code for answer in answers.values()) == [201, 409]


def test_concurrent_edits_never_lose_a_write(alice: User) -> None:
    """Each device retries on conflict from the server's revision; every edit lands."""
    write(alice, "counter", "0", device="seed")
    devices = [client_for(alice) for _ in range(4)]
    edits_per_device = 5

    def editor(number: int) -> Callable[[], None]:
        def run() -> None:
            client = devices[number]
            for edit in range(edits_per_device):
                while True:
                    current = client.get("/api/sync/backups").json()["backups"][0]
                    body = payload(
                        "counter",
                        f"{unseal(current, 'counter')}+{number}.{edit}",
                        device=f"dev-{number}",
                        base=current["revision"],
                    )
                    if push(client, body).status_code == 201:
                        break

        return run

    assert run_in_threads([editor(number) for number in range(len(devices))]) == []
    final = devices[0].get("/api/sync/backups").json()["backups"][0]
    assert final["revision"] == 1 + len(devices) * edits_per_device
    text = unseal(final, "counter")
    for number in range(len(devices)):
        for edit in range(edits_per_device):
            assert f"+{number}.{edit}" in text


def test_a_prune_right_after_the_page_read_cannot_hide_a_tombstone(alice: User) -> None:
    """The pull reads the feed position and the rows in one statement, one snapshot: a
    prune that commits right after it finds the page already carrying its tombstone, and
    the next pull from the stale cursor is refused."""
    laptop, phone = client_for(alice), client_for(alice)
    write(alice, "entry-1", "text")
    stale_cursor = phone.get("/api/sync/backups").json()["next_cursor"]
    laptop.delete("/api/sync/backup/entry-1")
    EncryptedEntry.objects.filter(user=alice).update(stored_at=timezone.now() - timedelta(days=100))
    pruned: list[dict[str, int]] = []

    def prune_after_the_position_read(execute: Any, sql: str, *args: Any) -> Any:
        result = execute(sql, *args)
        if not pruned and "pruned_seq" in sql and "FOR UPDATE" not in sql:
            errors = run_in_threads([lambda: pruned.append(sync_prune(now=timezone.now()))])
            assert not errors, errors
        return result

    with connection.execute_wrapper(prune_after_the_position_read):
        response = phone.get("/api/sync/backups", {"cursor": stale_cursor})
    assert pruned == [{"pruned_tombstones": 1, "pruned_revisions": 1, "pruned_conflicts": 0}]
    assert response.status_code == 200, response.json()
    assert [(item["id"], item["deleted"]) for item in response.json()["backups"]] == [
        ("entry-1", True)
    ]
    again = phone.get("/api/sync/backups", {"cursor": stale_cursor})
    assert again.status_code == 410, again.json()
    assert again.json()["code"] == "resync_required"
