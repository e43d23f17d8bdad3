"""Tags past the tag quota are a 422 quota_exceeded; an existing tag is still found."""

import pytest
from rest_framework.test import APIClient

from tags.models import Tag
from tags.tests.conftest import name_payload

pytestmark = pytest.mark.django_db


def test_a_new_tag_past_the_tag_quota_is_refused(api_alice: APIClient, settings: object) -> None:
    settings.QUOTA_TAGS = 1  # type: ignore[attr-defined]
    assert api_alice.post("/api/tags", name_payload("Walks")).status_code == 201

    response = api_alice.post("/api/tags", name_payload("Cooking"))
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["quota"], body["limit"], body["used"]) == (
        "quota_exceeded",
        "tags",
        1,
        1,
    )
    assert Tag.objects.count() == 1
    # The same name is the existing tag, not a new one.
    assert api_alice.post("/api/tags", name_payload("Walks")).status_code == 200
