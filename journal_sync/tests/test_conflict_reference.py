"""A conflict refers to the stored remote version instead of copying it, and that version
stays readable while the conflict is open."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.models import EntryConflict, EntryRevision
from journal_sync.selectors.summary import bytes_stored
from journal_sync.services.retention import sync_prune
from journal_sync.tests.conftest import unseal, write

BIG = "x" * 50_000


def _open_remote(client: APIClient) -> dict[str, object]:
    conflicts = client.get("/api/sync/conflicts").json()["conflicts"]
    assert len(conflicts) == 1
    remote: dict[str, object] = conflicts[0]["remote_version"]
    return remote


def test_many_conflicts_over_one_large_entry_store_it_once(alice: User, settings: object) -> None:
    settings.QUOTA_OPEN_CONFLICTS_PER_ENTRY = 100  # type: ignore[attr-defined]
    settings.QUOTA_DEVICES = 100  # type: ignore[attr-defined]
    write(alice, "entry-1", BIG)
    before = bytes_stored(user=alice)
    for number in range(20):
        write(alice, "entry-1", "tiny", device=f"device-{number}", base=0)

    assert EntryConflict.objects.filter(user=alice, resolved_at__isnull=True).count() == 20
    # Each conflict keeps its own 4-byte push (with IV and tag), not a copy of the 50 KB one.
    assert bytes_stored(user=alice) - before == 20 * (4 + 12 + 16)


def test_every_conflict_still_lists_the_remote_version(laptop: APIClient, alice: User) -> None:
    write(alice, "entry-1", BIG)
    for number in range(3):
        write(alice, "entry-1", "tiny", device=f"device-{number}", base=0)

    conflicts = laptop.get("/api/sync/conflicts").json()["conflicts"]
    assert [unseal(item["remote_version"], "entry-1") for item in conflicts] == [BIG] * 3
    assert {item["remote_version"]["revision"] for item in conflicts} == {1}


def test_the_remote_version_survives_history_trimming_while_open(
    laptop: APIClient, alice: User, settings: object
) -> None:
    settings.SYNC_REVISIONS_KEPT = 2  # type: ignore[attr-defined]
    write(alice, "entry-1", "version 1")
    write(alice, "entry-1", "stale", device="phone", base=0)
    for revision in range(1, 6):
        write(alice, "entry-1", f"version {revision + 1}", base=revision)

    remote = _open_remote(laptop)
    assert (remote["revision"], unseal(remote, "entry-1")) == (1, "version 1")


def test_a_resolved_conflict_lets_its_version_be_trimmed(
    laptop: APIClient, alice: User, settings: object
) -> None:
    settings.SYNC_REVISIONS_KEPT = 2  # type: ignore[attr-defined]
    write(alice, "entry-1", "version 1")
    conflict_id = write(alice, "entry-1", "stale", device="phone", base=0).conflict_id
    for revision in range(1, 4):
        write(alice, "entry-1", f"version {revision + 1}", base=revision)
    assert EntryRevision.objects.filter(entry__client_id="entry-1", revision=1).exists()

    resolve = {"chosen_version": "remote"}
    assert laptop.post(f"/api/sync/conflicts/{conflict_id}/resolve", resolve).status_code == 200
    write(alice, "entry-1", "version 5", base=4)
    kept = EntryRevision.objects.filter(entry__client_id="entry-1").values_list("revision")
    assert sorted(revision for (revision,) in kept) == [4]


def test_pruning_history_overflow_keeps_referenced_versions(
    laptop: APIClient, alice: User, settings: object
) -> None:
    write(alice, "entry-1", "version 1")
    write(alice, "entry-1", "stale", device="phone", base=0)
    for revision in range(1, 6):
        write(alice, "entry-1", f"version {revision + 1}", base=revision)
    settings.SYNC_REVISIONS_KEPT = 2  # type: ignore[attr-defined]

    sync_prune(now=timezone.now() + timedelta(days=1))

    kept = EntryRevision.objects.filter(entry__client_id="entry-1").values_list("revision")
    assert sorted(revision for (revision,) in kept) == [1, 5]
    assert unseal(_open_remote(laptop), "entry-1") == "version 1"


@pytest.mark.parametrize("chosen", ["local", "merged"])
def test_resolving_against_a_referenced_version_still_works(
    laptop: APIClient, alice: User, chosen: str
) -> None:
    write(alice, "entry-1", BIG)
    conflict_id = write(alice, "entry-1", "mine", device="phone", base=0).conflict_id
    body: dict[str, object] = {"chosen_version": chosen}
    if chosen == "merged":
        body |= {"final_encrypted_content": "bWVyZ2Vk", "final_iv": "AAAAAAAAAAAAAAAA"}
    response = laptop.post(f"/api/sync/conflicts/{conflict_id}/resolve", body, format="json")
    assert response.status_code == 200
    assert response.json()["revision"] == 2
