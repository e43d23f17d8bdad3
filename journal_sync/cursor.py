"""The opaque feed cursor: a versioned feed position, base64url without padding.

Clients must treat it as opaque; the version prefix lets the format change without
breaking cursors already stored on devices. The same position always encodes the same way.
"""

import base64
import binascii
import re
import uuid
from datetime import UTC, datetime, timedelta

from journal_sync.errors import SyncMessages
from reflective.errors import ApiError

_VERSION = "v1"
_DECODED = re.compile(r"^v1:(0|[1-9][0-9]{0,17})$")
_MAX_ENCODED_LENGTH = 40


def cursor_encode(seq: int) -> str:
    raw = f"{_VERSION}:{seq}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def cursor_decode(cursor: str) -> int:
    """The feed position in ``cursor``; 400 ``invalid_cursor`` for anything else."""
    if len(cursor) > _MAX_ENCODED_LENGTH:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise _invalid() from None
    match = _DECODED.match(raw)
    if match is None:
        raise _invalid()
    return int(match.group(1))


def _invalid() -> ApiError:
    return ApiError(
        "invalid_cursor",
        SyncMessages.INVALID_CURSOR,
        fields={"cursor": [SyncMessages.INVALID_CURSOR]},
    )


# Conflict pages: the last listed conflict's (detected_at, id), the order of the list.
_CONFLICT_DECODED = re.compile(r"^c1:(0|[1-9][0-9]{0,18}):([0-9a-f]{32})$")
_CONFLICT_MAX_ENCODED_LENGTH = 80
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def conflict_cursor_encode(detected_at: datetime, conflict_id: uuid.UUID) -> str:
    micros = (detected_at - _EPOCH) // _MICROSECOND
    raw = f"c1:{micros}:{conflict_id.hex}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def conflict_cursor_decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The conflict a page ended on; 400 ``invalid_cursor`` for anything else."""
    if len(cursor) > _CONFLICT_MAX_ENCODED_LENGTH:
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        match = _CONFLICT_DECODED.match(raw)
        if match is None:
            raise _invalid()
        moment = _EPOCH + int(match.group(1)) * _MICROSECOND
    except (binascii.Error, ValueError, OverflowError, OSError):
        raise _invalid() from None
    return moment, uuid.UUID(match.group(2))
