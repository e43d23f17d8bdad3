"""The API's base64: the same bytes as the standard library, and no laxer on bad text."""

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reflective.lib.b64 import b64decode_strict, b64encode


@given(st.binary(max_size=4096))
def test_round_trip_matches_the_standard_library(data: bytes) -> None:
    text = b64encode(data)
    assert text == base64.b64encode(data).decode("ascii")
    assert b64decode_strict(text) == data
    assert b64encode(memoryview(data)) == text


@given(st.text(alphabet="AQgw+/=Za\n -_.é\x00", max_size=24))
def test_whatever_the_standard_strict_decoder_refuses_is_refused(text: str) -> None:
    try:
        expected: bytes | None = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        expected = None
    try:
        got: bytes | None = b64decode_strict(text)
    except ValueError:
        got = None
    if expected is None:
        assert got is None
    else:
        assert got in (expected, None)  # None only for padding beyond what is needed


@pytest.mark.parametrize(
    "text",
    ["QUJD=", "QUJD====", "QUI=QUI=", "Q===", "QU JD", "QUJD\n", "ab=c", "abc", "éAAA", "QUJ\x00"],
)
def test_refused_texts(text: str) -> None:
    with pytest.raises(binascii.Error):
        b64decode_strict(text)
