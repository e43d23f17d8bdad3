"""Refuse a Content-Type whose charset is not a text encoding, before Django decodes anything.

When ``codecs`` knows the charset a Content-Type names, Django makes it the request's
encoding while it builds the request, and decodes the query string with it right there:
a bytes-to-bytes codec (``hex``, ``bz2_codec``) raises LookupError before any middleware
or error handler runs. So the check wraps the WSGI application itself (``reflective.wsgi``):
415 ``unsupported_charset``, DRF's rule (a charset must encode text). Names ``codecs`` does
not know are left alone; Django ignores them and reads UTF-8.
"""

import codecs
import json
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from django.utils.http import parse_header_parameters

from reflective.errors import ApiError, Messages


def is_text_encoding(name: str) -> bool:
    try:
        "".encode(name)
    except (LookupError, UnicodeError):
        return False
    return True


def unsupported_charset() -> ApiError:
    return ApiError("unsupported_charset", Messages.UNSUPPORTED_CHARSET, status=415)


def _refused_charset(content_type: str) -> bool:
    charset = parse_header_parameters(content_type)[1].get("charset")
    if charset is None:
        return False
    try:
        codecs.lookup(charset)
    except LookupError:
        return False  # unknown: Django ignores it
    return not is_text_encoding(charset)


def _refusal(start_response: StartResponse) -> Iterable[bytes]:
    body = json.dumps(unsupported_charset().body()).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("415 Unsupported Media Type", headers)
    return [body]


def text_charsets_only(application: WSGIApplication) -> WSGIApplication:
    """``application`` behind the charset check."""

    def checked(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _refused_charset(environ.get("CONTENT_TYPE", "")):
            return _refusal(start_response)
        return application(environ, start_response)

    return checked
