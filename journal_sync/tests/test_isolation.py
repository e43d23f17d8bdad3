"""Ids belong to their user: a stranger sees, changes and learns nothing.

Entry ids are chosen by clients and unique only per user, so every lookup must start from
the requesting user, or one account could read or overwrite another's entry by its id.
"""

from rest_framework.test import APIClient

from accounts.models import User
from journal_sync.models import EncryptedEntry
from journal_sync.tests.conftest import payload, pull_all, push, unseal


def test_two_users_may_use_the_same_id(api_alice: APIClient, api_bob: APIClient) -> None:
    assert push(api_alice, payload("shared-id", "alice's")).status_code == 201
    response = push(api_bob, payload("shared-id", "bob's", base=0))
    assert response.status_code == 201
    assert response.json()["revision"] == 1
    alice_items, _ = pull_all(api_alice)
    bob_items, _ = pull_all(api_bob)
    assert [unseal(item, "shared-id") for item in alice_items] == ["alice's"]
    assert [unseal(item, "shared-id") for item in bob_items] == ["bob's"]


def test_pushing_another_users_id_with_a_base_is_just_a_new_entry(
    api_alice: APIClient, api_bob: APIClient, bob: User
) -> None:
    push(api_alice, payload("alice-entry", "alice's"))
    response = push(api_bob, payload("alice-entry", "bob's", base=7))
    assert response.status_code == 201
    assert EncryptedEntry.objects.get(user=bob, client_id="alice-entry").revision == 1


def test_a_strangers_entry_is_not_found_everywhere(
    api_alice: APIClient, api_bob: APIClient, alice: User
) -> None:
    push(api_alice, payload("alice-entry", "alice's"))
    assert api_bob.delete("/api/sync/backup/alice-entry").status_code == 404
    assert api_bob.get("/api/sync/backups/alice-entry/revisions").status_code == 404
    assert api_bob.get("/api/sync/backups/never-existed/revisions").status_code == 404
    assert (
        api_bob.get("/api/sync/backups/alice-entry/revisions").json()
        == api_bob.get("/api/sync/backups/never-existed/revisions").json()
    )
    assert pull_all(api_bob)[0] == []
    assert not EncryptedEntry.objects.get(user=alice, client_id="alice-entry").deleted


def test_a_strangers_conflict_is_not_found(
    api_alice: APIClient, api_bob: APIClient, alice: User
) -> None:
    push(api_alice, payload("entry-1", "first", device="laptop"))
    push(api_alice, payload("entry-1", "second", device="laptop", base=1))
    conflict_id = push(api_alice, payload("entry-1", "stale", device="phone", base=1)).json()[
        "conflict_id"
    ]
    assert api_bob.get("/api/sync/conflicts").json()["conflicts"] == []
    response = api_bob.post(
        f"/api/sync/conflicts/{conflict_id}/resolve", {"chosen_version": "remote"}, format="json"
    )
    assert response.status_code == 404
    assert api_alice.get("/api/sync/conflicts").json()["total_count"] == 1


def test_a_strangers_state_and_wipe_touch_only_their_own(
    api_alice: APIClient, api_bob: APIClient, alice: User
) -> None:
    push(api_alice, payload("entry-1", "first"))
    assert api_bob.get("/api/sync/state").json()["entry_count"] == 0
    assert api_bob.delete("/api/sync/backup/content").json()["deleted_entries"] == 0
    assert EncryptedEntry.objects.filter(user=alice).count() == 1


def test_every_endpoint_needs_a_login(anon: APIClient) -> None:
    for method, path in [
        ("post", "/api/sync/backup"),
        ("post", "/api/sync/batch"),
        ("get", "/api/sync/backups"),
        ("delete", "/api/sync/backup/entry-1"),
        ("delete", "/api/sync/backup/content"),
        ("get", "/api/sync/backups/entry-1/revisions"),
        ("get", "/api/sync/conflicts"),
        ("post", "/api/sync/conflicts/00000000-0000-4000-8000-000000000000/resolve"),
        ("get", "/api/sync/state"),
    ]:
        assert getattr(anon, method)(path).status_code == 401, path
