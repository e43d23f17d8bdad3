"""Parsers for the metrics upload, whose bodies reach 64 MiB: JSON and binary frames.

DRF gives its own JSONParser (and subclasses) a copy of ``request.body``, which Django then
keeps for the whole request, and decodes it through a codecs stream reader: a 48 MiB
upload held about four body-sized buffers at once. This parser reads the request stream
in 1 MiB chunks and decodes once, so the peak is about two body sizes (the text, then the
parsed values) and nothing body-sized outlives the parse.
"""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from analytics.frames import metric_frames_parse
from reflective.lib.parsers import body_charset, json_text_parse

CHUNK_BYTES = 1024 * 1024


def _body_read(stream: Any) -> bytearray:
    body = bytearray()
    while chunk := stream.read(CHUNK_BYTES):
        body += chunk
    return body


class ChunkedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = body_charset(parser_context)
        body = _body_read(stream)
        try:
            text = body.decode(encoding)
        except ValueError as exc:
            raise ParseError("JSON parse error") from exc
        del body
        return json_text_parse(text)


class MetricFramesParser(BaseParser):
    """``application/octet-stream``: the framed binary upload (see ``analytics.frames``)."""

    media_type = "application/octet-stream"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return metric_frames_parse(_body_read(stream))
