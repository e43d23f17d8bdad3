"""The request body parsers: text charsets only, and one bound on JSON nesting.

A body's charset must be a text encoding, checked the way DRF's parsers check it
(``bz2_codec`` or ``hex`` would turn a body into something else): otherwise 415
``unsupported_charset`` (see ``reflective.lib.charset``). JSON nested deeper than
``JSON_MAX_DEPTH`` is refused with 400 ``json_too_deep`` (see ``reflective.lib.json_depth``).
"""

import json
from typing import Any

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser

from reflective.errors import ApiError, Messages
from reflective.lib.charset import unsupported_charset
from reflective.lib.json_depth import json_max_depth, json_too_deep, json_value_depth


def body_charset(parser_context: Any) -> str:
    """The body's charset from its Content-Type (default UTF-8) if it is a text encoding.

    The WSGI application refuses other charsets already (``reflective.lib.charset``);
    parsers check again, as DRF's own do, for requests that reach them another way.
    """
    try:
        # DRF's own check, newer than its type stubs.
        return str(parsers.get_encoding(parser_context or {}))  # type: ignore[attr-defined]
    except ParseError:
        raise unsupported_charset() from None


def json_too_deep_error() -> ApiError:
    limit = json_max_depth()
    return ApiError(
        "json_too_deep", Messages.JSON_TOO_DEEP.format(limit=limit), extra={"limit": limit}
    )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def json_text_parse(text: str) -> Any:
    """A request body's JSON values: 400 ``json_too_deep`` or ``malformed_body`` if not.

    The decoder runs first and the nesting is measured on its values: a valid 11 MB upload
    then skips a scan of all its text, which cost as much as the parse (about 30 ms). Only
    a body the decoder refuses, by its recursion guard or as malformed, gets the text
    bound, which still decides between the two errors as it did when it ran first.
    """
    try:
        values = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        if json_too_deep(text):
            raise json_too_deep_error() from None
        raise ParseError("JSON parse error") from exc
    if json_value_depth(values) > json_max_depth():
        raise json_too_deep_error()
    return values


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the charset check and the nesting bound."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = body_charset(parser_context)
        try:
            text = stream.read().decode(encoding)
        except ValueError as exc:
            raise ParseError("JSON parse error") from exc
        return json_text_parse(text)


class CharsetCheckedFormParser(FormParser):
    """DRF's form parser, refusing a non-text charset with the same 415 as JSON bodies."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return QueryDict(stream.read(), encoding=body_charset(parser_context))
