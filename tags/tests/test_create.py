import base64
from datetime import datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tags.colors import PALETTE
from tags.messages import TagMessages
from tags.models import NAME_CIPHERTEXT_MAX_BYTES, Tag
from tags.tests.conftest import b64, digest_of, name_payload, opened_name, stored_bytes

pytestmark = pytest.mark.django_db


def test_new_tag_is_created_and_its_name_decrypts_on_the_client(
    api_alice: APIClient, alice: User
) -> None:
    response = api_alice.post(
        "/api/tags", name_payload("Gratitude", color="#0f766e"), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert opened_name(body) == "Gratitude"
    assert base64.b64decode(body["name_digest"]) == digest_of("gratitude")
    assert body["color"] == "#0F766E"
    assert body["revision"] == 1
    assert Tag.objects.get(pk=body["id"]).user == alice


def test_the_server_stores_no_plaintext_name(api_alice: APIClient) -> None:
    response = api_alice.post("/api/tags", name_payload("Therapy notes"), format="json")

    stored = Tag.objects.get(pk=response.json()["id"])
    for column in (stored.encrypted_name, stored.name_iv, stored.name_digest):
        assert b"therapy" not in stored_bytes(column).lower()


def test_same_digest_returns_the_existing_tag_touched(api_alice: APIClient) -> None:
    first = api_alice.post("/api/tags", name_payload("Running"), format="json").json()

    again = api_alice.post("/api/tags", name_payload("  RUNNING "), format="json")

    assert again.status_code == 200
    body = again.json()
    assert body["id"] == first["id"]
    assert body["encrypted_name"] == first["encrypted_name"]
    touched = datetime.fromisoformat(body["last_used_at"])
    assert touched > datetime.fromisoformat(first["last_used_at"])
    assert body["revision"] == first["revision"] + 1
    assert Tag.objects.count() == 1


def test_missing_color_gets_one_from_the_palette(api_alice: APIClient) -> None:
    colors = {
        api_alice.post("/api/tags", name_payload(f"tag {n}"), format="json").json()["color"]
        for n in range(30)
    }

    assert colors <= set(PALETTE)
    assert len(colors) > 1


def test_null_color_gets_one_from_the_palette(api_alice: APIClient) -> None:
    response = api_alice.post("/api/tags", name_payload("Sleep", color=None), format="json")

    assert response.json()["color"] in PALETTE


@pytest.mark.parametrize(
    "color", ["red", "#FFF", "#GGGGGG", "0F766E", "#0F766E0", "#0F766", "#0F766E ;", 7, ""]
)
def test_bad_color_is_rejected(api_alice: APIClient, color: object) -> None:
    response = api_alice.post("/api/tags", name_payload("Sleep", color=color), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "color" in response.json()["fields"]
    assert not Tag.objects.exists()


@pytest.mark.parametrize(
    ("digest", "message"),
    [
        (b64(b"\x01" * 31), TagMessages.NAME_DIGEST_LENGTH),
        (b64(b"\x01" * 33), TagMessages.NAME_DIGEST_LENGTH),
        (b64(b""), TagMessages.NAME_DIGEST_LENGTH),
        ("not base64!", "Not valid base64."),
        ("AQ", "Not valid base64."),
    ],
)
def test_bad_digest_is_rejected(api_alice: APIClient, digest: str, message: str) -> None:
    payload = name_payload("Sleep", name_digest=digest)

    response = api_alice.post("/api/tags", payload, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["name_digest"] == [message]


def test_hex_digest_is_rejected_because_it_decodes_to_the_wrong_length(
    api_alice: APIClient,
) -> None:
    hex_digest = digest_of("sleep").hex()

    response = api_alice.post(
        "/api/tags", name_payload("Sleep", name_digest=hex_digest), format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["name_digest"] == [TagMessages.NAME_DIGEST_LENGTH]


@pytest.mark.parametrize("size", [0, 11, 13, 16])
def test_name_iv_must_be_twelve_bytes(api_alice: APIClient, size: int) -> None:
    response = api_alice.post(
        "/api/tags", name_payload("Sleep", name_iv=b64(b"\x02" * size)), format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["name_iv"] == [TagMessages.NAME_IV_LENGTH]


def test_ciphertext_without_room_for_the_gcm_tag_is_rejected(api_alice: APIClient) -> None:
    response = api_alice.post(
        "/api/tags", name_payload("Sleep", encrypted_name=b64(b"\x03" * 16)), format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["encrypted_name"] == [TagMessages.NAME_TOO_SHORT]


def test_oversized_ciphertext_is_422(api_alice: APIClient) -> None:
    too_big = b64(b"\x04" * (NAME_CIPHERTEXT_MAX_BYTES + 1))

    response = api_alice.post(
        "/api/tags", name_payload("Sleep", encrypted_name=too_big), format="json"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "ciphertext_too_large"
    assert not Tag.objects.exists()


def test_ciphertext_at_the_size_cap_is_accepted(api_alice: APIClient) -> None:
    at_cap = b64(b"\x04" * NAME_CIPHERTEXT_MAX_BYTES)

    response = api_alice.post(
        "/api/tags", name_payload("Sleep", encrypted_name=at_cap), format="json"
    )

    assert response.status_code == 201


def test_plaintext_name_is_rejected_with_a_pointer_to_encrypted_name(
    api_alice: APIClient,
) -> None:
    response = api_alice.post("/api/tags", {"name": "Therapy", "color": "#B91C1C"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body == {
        "code": "plaintext_name",
        "detail": TagMessages.PLAINTEXT_NAME,
        "fields": {"name": [TagMessages.PLAINTEXT_NAME]},
    }
    assert "encrypted_name" in body["detail"]
    assert not Tag.objects.exists()


def test_plaintext_name_alongside_a_ciphertext_is_still_rejected(api_alice: APIClient) -> None:
    response = api_alice.post(
        "/api/tags", name_payload("Therapy") | {"name": "Therapy"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "plaintext_name"
    assert not Tag.objects.exists()


def test_missing_fields_are_named(api_alice: APIClient) -> None:
    response = api_alice.post("/api/tags", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"encrypted_name", "name_iv", "name_digest"}


def test_unknown_field_is_rejected(api_alice: APIClient) -> None:
    response = api_alice.post("/api/tags", name_payload("Sleep", icon="moon"), format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"icon": ["Unknown field."]}


def test_anonymous_caller_is_401(anon: APIClient) -> None:
    response = anon.post("/api/tags", name_payload("Sleep"), format="json")

    assert response.status_code == 401
