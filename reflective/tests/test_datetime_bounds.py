"""Every datetime a client sends is bounded: years 1900 up to 9000, with a zone offset."""

import pytest
from rest_framework.test import APIClient

from reflective.lib.fields import AwareDateTimeField

OUT_OF_RANGE = AwareDateTimeField.default_error_messages["out_of_range"]
TOO_LATE = "9999-12-31T23:59:59Z"
TOO_EARLY = "0001-01-01T00:00:00+14:00"


@pytest.mark.parametrize(
    "value", [TOO_LATE, TOO_EARLY, "1899-12-31T23:59:59Z", "9000-01-01T00:00:00Z"]
)
def test_the_field_refuses_times_outside_the_bounds(value: str) -> None:
    with pytest.raises(Exception, match="1900-01-01"):
        AwareDateTimeField().run_validation(value)


@pytest.mark.parametrize("value", ["1900-01-01T00:00:00Z", "8999-12-31T23:59:59.999999Z"])
def test_the_bounds_themselves_are_accepted(value: str) -> None:
    assert AwareDateTimeField().run_validation(value).year in (1900, 8999)


def test_a_feed_since_outside_the_bounds_is_a_400(api_alice: APIClient) -> None:
    response = api_alice.get("/api/sync/backups", {"since": TOO_EARLY})
    assert response.status_code == 400
    assert response.json()["fields"]["since"] == [OUT_OF_RANGE]


def test_a_pushed_entry_time_outside_the_bounds_is_a_400(api_alice: APIClient) -> None:
    body = {
        "id": "entry-1",
        "encrypted_content": "AAAAAAAAAAAAAAAAAAAAAA==",
        "content_iv": "AAAAAAAAAAAAAAAA",
        "created_at": TOO_LATE,
    }
    response = api_alice.post("/api/sync/backup", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["created_at"] == [OUT_OF_RANGE]


def test_a_consent_time_outside_the_bounds_is_a_400(api_alice: APIClient) -> None:
    body = {"privacy_tier": "local_only", "consent_timestamp": TOO_EARLY}
    response = api_alice.put("/api/users/me/privacy", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["consent_timestamp"] == [OUT_OF_RANGE]
