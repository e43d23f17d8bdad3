"""One version of an entry as pushed: its encrypted parts, fingerprint and stored fields."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from accounts.models import User
from journal_sync.models import EncryptedEntry
from reflective.lib.db.entries import heads_read

CIPHERTEXT_FIELDS = (
    "encrypted_content",
    "content_iv",
    "content_tag",
    "encrypted_embedding",
    "embedding_iv",
)
# What an entry decision needs; the ciphertext itself stays in the database.
HEAD_FIELDS = ("id", "client_id", "revision", "seq", "fingerprint", "device_id", "deleted")


@dataclass(frozen=True)
class EntryContent:
    """The encrypted parts of one version, as the client sent them."""

    encrypted_content: bytes
    content_iv: bytes
    content_tag: bytes | None = None
    encrypted_embedding: bytes | None = None
    embedding_iv: bytes | None = None

    def parts(self) -> tuple[bytes | None, ...]:
        return tuple(getattr(self, name) for name in CIPHERTEXT_FIELDS)

    @property
    def size_bytes(self) -> int:
        return sum(len(part) for part in self.parts() if part is not None)


def content_fingerprint(content: EntryContent | None) -> str:
    """sha256 over every part, length-prefixed: equal only for byte-identical versions."""
    if content is None:
        return ""
    digest = hashlib.sha256()
    for part in content.parts():
        digest.update(b"-" if part is None else len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@dataclass(frozen=True)
class EntryWrite:
    """One pushed version of an entry (``content`` None: a delete)."""

    client_id: str
    device_id: str
    base_revision: int | None
    content: EntryContent | None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @cached_property
    def fingerprint(self) -> str:
        return content_fingerprint(self.content)


def write_size(write: EntryWrite) -> int:
    return 0 if write.content is None else write.content.size_bytes


def heads(user: User, client_ids: Iterable[str]) -> dict[str, EncryptedEntry]:
    """The current rows (``HEAD_FIELDS`` only) of the pushed ids, by id."""
    rows = heads_read(EncryptedEntry, user.pk, sorted(set(client_ids)), HEAD_FIELDS)
    return {head.client_id: head for head in rows}


def version_fields(write: EntryWrite, now: datetime) -> dict[str, Any]:
    """The entry columns one stored version sets."""
    content = write.content
    fields: dict[str, Any] = dict.fromkeys(CIPHERTEXT_FIELDS)
    if content is not None:
        fields.update(zip(CIPHERTEXT_FIELDS, content.parts(), strict=True))
    fields.update(
        content_sha256=(
            "" if content is None else hashlib.sha256(content.encrypted_content).hexdigest()
        ),
        size_bytes=0 if content is None else content.size_bytes,
        deleted=content is None,
        device_id=write.device_id,
        fingerprint=write.fingerprint,
        updated_at=write.updated_at or now,
        stored_at=now,
    )
    if write.created_at is not None:
        fields["created_at"] = write.created_at
    return fields


def entry_update(head: EncryptedEntry, write: EntryWrite, seq: int, now: datetime) -> None:
    """Store ``write`` as the entry's next revision at feed position ``seq``."""
    EncryptedEntry.objects.filter(pk=head.pk).update(
        revision=head.revision + 1, seq=seq, **version_fields(write, now)
    )
