"""One bound on JSON nesting, for every place that turns text into JSON values.

Python's JSON decoder recurses once per nested array or object, so a few kilobytes of
``[`` end in a RecursionError. JSON held in a form field
(``reflective.lib.fields.BoundedJSONField``) and JSON read back from the database
(``DepthCheckedJSONField``) are checked on their text first: strings are cut out with one
linear regular expression, and the nesting is the largest running count of the brackets
left. Request bodies (``reflective.lib.parsers``) are parsed first and measured on their
values (``json_value_depth``), as the decoder's recursion guard already stops hostile
nesting; walking the parsed arrays and objects takes microseconds, where counting the
brackets of an 11 MB upload of base64 cost as much as parsing it. Their text is checked
only when the decoder refuses them.
"""

import re
from array import array
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.db import models

# A JSON string, or an unterminated one up to the end of the text. Possessive, so a
# failed match never backtracks and the scan stays linear whatever the input.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
# Opening brackets count +1 and closing ones -1 (0xff read as a signed byte).
_BRACKET_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_max_depth() -> int:
    return int(settings.JSON_MAX_DEPTH)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (valid JSON or not)."""
    structure = _STRING.sub("", text).encode("ascii", "ignore")
    steps = array("b", structure.translate(_BRACKET_STEP, _NOT_A_BRACKET))
    return max(accumulate(steps), default=0)


def json_value_depth(value: Any) -> int:
    """The deepest nesting of lists and dicts in parsed JSON: ``json_depth`` of its text."""
    deepest = 0
    containers = [(value, 1)] if isinstance(value, dict | list) else []
    while containers:
        item, depth = containers.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        containers.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )
    return deepest


def json_too_deep(text: str) -> bool:
    limit = json_max_depth()
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case: too few brackets to nest that deep
    return json_depth(text) > limit


class DepthCheckedJSONField(models.JSONField):
    """A JSONField that reads a stored value nested over the bound as empty, not a crash.

    Writes are validated by the serializers; this covers rows stored before the bound
    existed, which otherwise broke every page that loads them (the admin's among them).
    It is a plain JSONField in migrations: nothing changes in the database.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str) and json_too_deep(value):
            return {}
        return super().from_db_value(value, expression, connection)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
