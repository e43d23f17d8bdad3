"""Request bodies are measured after the parse, responses encoded by orjson: same answers."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError
from rest_framework.renderers import JSONRenderer

from reflective.errors import ApiError
from reflective.lib.json_depth import json_depth, json_value_depth
from reflective.lib.parsers import json_text_parse
from reflective.lib.renderers import FastJSONRenderer, UTCTimesJSONRenderer

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=40,
)


@given(JSON_VALUES)
def test_the_depth_of_values_is_the_depth_of_their_text(value: Any) -> None:
    assert json_value_depth(value) == json_depth(json.dumps(value))


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("[" * 33 + "1,]" + "]" * 32, "json_too_deep"),  # malformed and too deep
        ("[" * 5000, "json_too_deep"),  # past the decoder's recursion guard
        ('{"a": [1,]}', "malformed_body"),
        ("[NaN]", "malformed_body"),
    ],
)
def test_a_refused_body_gets_the_error_the_text_bound_decides(body: str, code: str) -> None:
    with pytest.raises((ApiError, ParseError)) as raised:
        json_text_parse(body)
    got = raised.value.code if isinstance(raised.value, ApiError) else "malformed_body"
    assert got == code


def test_a_valid_body_too_deep_is_refused_after_the_parse() -> None:
    with pytest.raises(ApiError) as raised:
        json_text_parse('{"a": ' + "[" * 32 + "]" * 32 + "}")
    assert raised.value.code == "json_too_deep"


def test_orjson_renders_what_drf_renders() -> None:
    data = {
        "text": 'é \u2028 \u2029 \x00 "quoted" \\',
        "numbers": [1, 2.5, None, True, -(2**63)],
        "at": datetime(2024, 1, 1, tzinfo=UTC),
        "day": date(2024, 1, 2),
        "id": UUID("6f1c1a52-8a4e-4d38-9b2a-0d7f5c3e9a11"),
        "amount": Decimal("1.50"),
        "nested": {"list": [{"a": []}]},
    }
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_what_orjson_refuses_is_rendered_by_drf() -> None:
    data = {1: "a key that is not a string"}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_utc_times_written_by_orjson_are_what_drf_writes() -> None:
    data = {
        "whole": datetime(2024, 1, 1, 12, tzinfo=UTC),
        "micro": datetime(2024, 1, 1, 12, 0, 0, 5, tzinfo=UTC),
        "early": datetime(5, 1, 1, tzinfo=UTC),
        "day": date(2024, 1, 2),
        "separator": "\u2028",
    }
    assert UTCTimesJSONRenderer().render(data) == JSONRenderer().render(data)
