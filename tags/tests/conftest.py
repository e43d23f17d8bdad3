"""Tag test helpers: names sealed and digested with real AES-256-GCM and HMAC-SHA256."""

import base64
import hashlib
import hmac
import os
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection

from accounts.models import User
from tags.models import Tag
from tags.services import tag_create

NAME_KEY = AESGCM.generate_key(bit_length=256)
DIGEST_KEY = os.urandom(32)
NAME_CONTEXT = b"reflective/tag-name"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def normalized(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def digest_of(name: str) -> bytes:
    return hmac.new(DIGEST_KEY, normalized(name).encode(), hashlib.sha256).digest()


def sealed_name(name: str) -> dict[str, Any]:
    iv = os.urandom(12)
    ciphertext = AESGCM(NAME_KEY).encrypt(iv, name.strip().encode(), NAME_CONTEXT)
    return {"encrypted_name": ciphertext, "name_iv": iv, "name_digest": digest_of(name)}


def stored_bytes(column: bytes | memoryview | None) -> bytes:
    """A binary column as bytes (PostgreSQL hands back memoryview)."""
    assert column is not None
    return bytes(column)


def name_payload(name: str, **extra: Any) -> dict[str, Any]:
    """The JSON body a client sends to create or rename a tag called ``name``."""
    return {key: b64(value) for key, value in sealed_name(name).items()} | extra


def opened_name(body: dict[str, Any]) -> str:
    """Decrypt a tag as the server returned it, like a client would."""
    iv = base64.b64decode(body["name_iv"])
    ciphertext = base64.b64decode(body["encrypted_name"])
    return AESGCM(NAME_KEY).decrypt(iv, ciphertext, NAME_CONTEXT).decode()


@pytest.fixture
def make_tag() -> Callable[..., Tag]:
    def make(user: User, name: str, **fields: Any) -> Tag:
        return tag_create(user=user, **sealed_name(name), **fields).tag

    return make


def in_thread(work: Callable[[], Any], results: list[Any]) -> threading.Thread:
    """A thread that records ``work``'s result or exception and closes its DB connection."""

    def run() -> None:
        try:
            results.append(work())
        except Exception as error:  # noqa: BLE001 - the test asserts on whatever happened
            results.append(error)
        finally:
            connection.close()

    return threading.Thread(target=run)


def lock_waiters() -> int:
    """How many sessions of this database are waiting on a row lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])
