"""Binary fields travel as standard base64 text."""

import base64


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def b64d_optional(text: str | None) -> bytes | None:
    return None if not text else b64d(text)
