import base64
import hashlib
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import ConsentRecord, User
from lifecycle.privacy import PrivacyMessages

CONSENT = "2026-11-20T10:00:00Z"


def put_tier(client: APIClient, tier: str, **extra: object) -> Any:
    return client.put("/api/users/me/privacy", {"privacy_tier": tier, **extra}, format="json")


def test_new_accounts_are_local_only(api_charlie: APIClient) -> None:
    body = api_charlie.get("/api/users/me/privacy").json()
    assert body["current_tier"] == "local_only"
    assert body["sync_enabled"] is False
    assert body["analytics_key_id"] is None
    assert body["features_available"]["cloud_sync"] is False
    assert body["features_available"]["local_storage"] is True


def test_an_upgrade_needs_consent(api_charlie: APIClient, public_key_b64: str) -> None:
    response = put_tier(api_charlie, "full_sync", he_public_key=public_key_b64)
    assert response.status_code == 400
    assert response.json()["detail"] == PrivacyMessages.CONSENT_REQUIRED


def test_analytics_needs_a_public_key(api_charlie: APIClient) -> None:
    response = put_tier(api_charlie, "analytics_sync", consent_timestamp=CONSENT)
    assert response.status_code == 400
    assert response.json()["code"] == "he_public_key_required"


def test_a_naive_consent_timestamp_is_refused(api_charlie: APIClient, public_key_b64: str) -> None:
    response = put_tier(
        api_charlie,
        "full_sync",
        consent_timestamp="2026-11-20T10:00:00",
        he_public_key=public_key_b64,
    )
    assert response.status_code == 400
    assert "consent_timestamp" in response.json()["fields"]


def test_upgrade_installs_the_key_and_records_consent(
    api_charlie: APIClient, charlie: User, public_key_b64: str
) -> None:
    response = put_tier(
        api_charlie, "full_sync", consent_timestamp=CONSENT, he_public_key=public_key_b64
    )
    assert response.status_code == 200
    body = response.json()
    assert body["current_tier"] == "full_sync"
    assert body["previous_tier"] == "local_only"
    assert body["sync_enabled"] is True
    expected_key_id = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()
    assert body["analytics_key_id"] == expected_key_id
    history = api_charlie.get("/api/users/me/privacy/history").json()["history"]
    assert [(h["from_tier"], h["to_tier"]) for h in history] == [("local_only", "full_sync")]
    assert history[0]["consent_timestamp"] == CONSENT


def test_a_secret_key_is_refused_and_not_stored(
    api_charlie: APIClient, charlie: User, secret_key_b64: str
) -> None:
    response = put_tier(
        api_charlie, "analytics_sync", consent_timestamp=CONSENT, he_public_key=secret_key_b64
    )
    assert response.status_code == 422
    assert response.json()["code"] == "secret_key_present"
    charlie.refresh_from_db()
    assert charlie.privacy_tier == "local_only"
    assert api_charlie.get("/api/users/me/privacy").json()["analytics_key_id"] is None


def test_a_key_on_local_only_is_refused(api_charlie: APIClient, public_key_b64: str) -> None:
    response = put_tier(api_charlie, "local_only", he_public_key=public_key_b64)
    assert response.status_code == 400
    assert response.json()["code"] == "he_public_key_not_allowed"


@pytest.fixture
def synced_charlie(api_charlie: APIClient, charlie: User, public_key_b64: str) -> APIClient:
    response = put_tier(
        api_charlie, "full_sync", consent_timestamp=CONSENT, he_public_key=public_key_b64
    )
    assert response.status_code == 200
    return api_charlie


def test_downgrade_reports_counts_for_every_kind(synced_charlie: APIClient) -> None:
    response = put_tier(synced_charlie, "analytics_sync")
    assert response.status_code == 200
    body = response.json()
    assert body["current_tier"] == "analytics_sync"
    assert body["sync_enabled"] is True
    assert body["sync_enabled_at"] == CONSENT
    for kind in ("entries", "backups", "revisions", "conflicts", "metrics", "tags"):
        assert body[f"deleted_{kind}"] == 0
    assert body["analytics_key_id"] is not None


def test_downgrade_to_local_only_deletes_the_key(synced_charlie: APIClient) -> None:
    body = put_tier(synced_charlie, "local_only").json()
    assert body["deleted_keys"] == 1
    assert body["analytics_key_id"] is None


def test_moving_back_up_reuses_the_existing_key(synced_charlie: APIClient) -> None:
    assert put_tier(synced_charlie, "analytics_sync").status_code == 200
    response = put_tier(synced_charlie, "full_sync", consent_timestamp=CONSENT)
    assert response.status_code == 200
    assert response.json()["current_tier"] == "full_sync"


def test_revoke_purges_and_returns_to_local_only(synced_charlie: APIClient, charlie: User) -> None:
    response = synced_charlie.delete("/api/users/me/privacy/revoke")
    assert response.status_code == 200
    body = response.json()
    assert body["new_tier"] == "local_only"
    assert body["deleted_keys"] == 1
    assert body["deleted_backups"] == body["deleted_entries"]
    records = ConsentRecord.objects.filter(user=charlie)
    assert [r.to_tier for r in records] == ["full_sync", "local_only"]


def test_the_ledger_is_per_user(synced_charlie: APIClient, api_bob: APIClient) -> None:
    assert api_bob.get("/api/users/me/privacy/history").json()["history"] == []


def test_an_unknown_tier_is_refused(api_charlie: APIClient) -> None:
    response = put_tier(api_charlie, "everything")
    assert response.status_code == 400
    assert "privacy_tier" in response.json()["fields"]


def test_analytics_sync_is_sync_enabled_since_the_consent(
    api_charlie: APIClient, public_key_b64: str
) -> None:
    """The earlier server's clients read sync_enabled: true, with the consent time."""
    put_tier(api_charlie, "analytics_sync", consent_timestamp=CONSENT, he_public_key=public_key_b64)
    body = api_charlie.get("/api/users/me/privacy").json()
    assert (body["sync_enabled"], body["sync_enabled_at"]) == (True, CONSENT)


def test_local_only_is_not_sync_enabled(synced_charlie: APIClient) -> None:
    body = put_tier(synced_charlie, "local_only").json()
    assert (body["sync_enabled"], body["sync_enabled_at"]) == (False, None)


def test_an_account_moved_up_before_the_time_was_kept_reads_it_from_the_ledger(
    synced_charlie: APIClient, charlie: User
) -> None:
    User.objects.filter(pk=charlie.pk).update(sync_enabled_at=None)
    body = synced_charlie.get("/api/users/me/privacy").json()
    assert body["sync_enabled_at"] == CONSENT
