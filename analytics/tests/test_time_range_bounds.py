"""Aggregate time ranges are bounded, so bucket arithmetic near year 9999 never overflows."""

import pytest
from rest_framework.test import APIClient

from analytics.tests.conftest import ClientKeys, metric_item
from reflective.lib.fields import AwareDateTimeField

OUT_OF_RANGE = AwareDateTimeField.default_error_messages["out_of_range"]


@pytest.fixture
def uploaded(keyed_alice: object, api_alice: APIClient, keys: ClientKeys) -> APIClient:
    item = metric_item(keys, [1.0], "2024-01-01T10:00:00Z")
    response = api_alice.post("/api/encryption/metrics", {"metrics": [item]}, format="json")
    assert response.status_code == 201
    return api_alice


@pytest.mark.parametrize("bucket", [None, "day", "week", "month"])
@pytest.mark.parametrize(
    "time_range",
    [
        {"end": "9999-12-31T23:59:59Z"},
        {"start": "2024-01-01T00:00:00Z", "end": "9999-12-31T23:59:59+00:00"},
        {"start": "0001-01-01T00:00:00Z"},
        {"end": "8999-12-31T23:59:59-12:00"},
    ],
)
def test_a_time_range_outside_the_bounds_is_a_400(
    uploaded: APIClient, bucket: str | None, time_range: dict[str, str]
) -> None:
    query = {"metric_type": "word_count", "operation": "sum", "time_range": time_range}
    if bucket:
        query["bucket"] = bucket
    response = uploaded.post("/api/encryption/aggregate", query, format="json")
    assert response.status_code == 400
    field = next(iter(time_range.keys() - {"start"} or {"start"}))
    assert response.json()["fields"]["time_range"][field] == [OUT_OF_RANGE]


def test_a_range_up_to_the_last_bound_is_answered(uploaded: APIClient) -> None:
    time_range = {"start": "1900-01-01T00:00:00Z", "end": "8999-12-31T00:00:00Z"}
    for bucket in ("day", "week", "month"):
        response = uploaded.post(
            "/api/encryption/aggregate",
            {
                "metric_type": "word_count",
                "operation": "sum",
                "time_range": time_range,
                "bucket": bucket,
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
