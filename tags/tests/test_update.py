from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tags.messages import TagMessages
from tags.models import Tag
from tags.tests.conftest import digest_of, name_payload, opened_name, stored_bytes

pytestmark = pytest.mark.django_db


def test_recolor_keeps_the_name_and_bumps_the_revision(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work", color="#1D4ED8")

    response = api_alice.patch(f"/api/tags/{tag.pk}", {"color": "#be185d"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["color"] == "#BE185D"
    assert opened_name(body) == "Work"
    assert body["revision"] == 2


def test_rename_stores_the_new_ciphertext_and_digest(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Wrok")

    response = api_alice.patch(f"/api/tags/{tag.pk}", name_payload("Work"), format="json")

    assert response.status_code == 200
    assert opened_name(response.json()) == "Work"
    tag.refresh_from_db()
    assert stored_bytes(tag.name_digest) == digest_of("Work")


def test_reencryption_without_a_new_digest_keeps_the_digest(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    payload = name_payload("Work")
    del payload["name_digest"]

    response = api_alice.patch(f"/api/tags/{tag.pk}", payload, format="json")

    assert response.status_code == 200
    assert response.json()["encrypted_name"] == payload["encrypted_name"]
    tag.refresh_from_db()
    assert stored_bytes(tag.name_digest) == digest_of("Work")


def test_rename_onto_another_tags_digest_is_a_conflict(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    work = make_tag(alice, "Work")
    job = make_tag(alice, "Job")

    response = api_alice.patch(f"/api/tags/{job.pk}", name_payload("work"), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "tag_exists"
    assert response.json()["existing_id"] == str(work.pk)
    job.refresh_from_db()
    assert stored_bytes(job.name_digest) == digest_of("Job")


def test_stale_base_revision_is_refused(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    api_alice.post(f"/api/tags/{tag.pk}/touch")

    response = api_alice.patch(
        f"/api/tags/{tag.pk}", {"color": "#B91C1C", "base_revision": 1}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "revision_mismatch"
    assert response.json()["current_revision"] == 2


def test_current_base_revision_is_applied(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")

    response = api_alice.patch(
        f"/api/tags/{tag.pk}", {"color": "#B91C1C", "base_revision": 1}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["revision"] == 2


def test_ciphertext_without_its_nonce_is_refused(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")
    payload = name_payload("Job")
    del payload["name_iv"]

    response = api_alice.patch(f"/api/tags/{tag.pk}", payload, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": [TagMessages.NAME_PARTS_TOGETHER]}


@pytest.mark.parametrize("body", [{}, {"base_revision": 1}])
def test_nothing_to_change_is_refused(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag], body: dict[str, int]
) -> None:
    tag = make_tag(alice, "Work")

    response = api_alice.patch(f"/api/tags/{tag.pk}", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"non_field_errors": [TagMessages.NOTHING_TO_UPDATE]}


@pytest.mark.parametrize("color", ["#12345", "blue", "#12345G"])
def test_bad_color_is_refused(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag], color: str
) -> None:
    tag = make_tag(alice, "Work", color="#1D4ED8")

    response = api_alice.patch(f"/api/tags/{tag.pk}", {"color": color}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"color": [TagMessages.COLOR]}
    tag.refresh_from_db()
    assert tag.color == "#1D4ED8"


def test_plaintext_rename_is_refused(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")

    response = api_alice.patch(f"/api/tags/{tag.pk}", {"name": "Job"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "plaintext_name"


def test_a_base_revision_past_bigint_is_a_400(
    api_alice: APIClient, alice: User, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(alice, "Work")

    response = api_alice.patch(
        f"/api/tags/{tag.pk}", {"color": "#B91C1C", "base_revision": 2**63}, format="json"
    )

    assert response.status_code == 400
    assert "base_revision" in response.json()["fields"]
