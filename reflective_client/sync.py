"""One device's replica of the journal: encrypted push, cursor pull, conflicts, digest.

Each entry's plaintext is sealed with AES-256-GCM under the account key, with the entry id
as associated data. The replica remembers the revision it last saw of every entry and
sends it as ``base_revision``, so the server can tell a stale edit (a conflict) from an
up-to-date one, and a retried push from a new one.
"""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reflective_client.api import ApiSession, JsonObject, ServerError
from reflective_client.crypto import Sealed, aes_open, aes_seal
from reflective_client.encoding import b64d, b64d_optional, b64e
from reflective_client.keyfile import KeyMaterial

BATCH_MAX_ITEMS = 100
PAGE_SIZE = 200


def entry_context(entry_id: str) -> bytes:
    return f"reflective/entry/{entry_id}".encode()


def entry_digest(revisions: Iterable[tuple[str, int]]) -> str:
    """sha256 over the sorted lines ``"<id>:<revision>\\n"``: equals ``/sync/state`` digest."""
    lines = sorted(f"{entry_id}:{revision}\n".encode() for entry_id, revision in revisions)
    return hashlib.sha256(b"".join(lines)).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Entry:
    id: str
    text: str | None  # None for a deleted entry (a tombstone)
    revision: int
    updated_at: str
    device_id: str | None = None

    @property
    def deleted(self) -> bool:
        return self.text is None


@dataclass(frozen=True)
class PushResult:
    id: str
    status: str  # stored | unchanged | conflict | rejected
    revision: int | None = None
    conflict_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ConflictVersion:
    text: str | None
    device_id: str | None
    revision: int | None
    updated_at: str | None


@dataclass(frozen=True)
class Conflict:
    id: str
    entry_id: str
    local: ConflictVersion  # the push that was refused
    remote: ConflictVersion  # what the server held when it was refused
    detected_at: str | None


def sealed_entry(
    keys: KeyMaterial,
    entry_id: str,
    text: str,
    base_revision: int,
    *,
    created_at: str | None = None,
) -> JsonObject:
    """A push body: ``text`` sealed with AES-256-GCM, bound to ``entry_id`` as associated data.

    Encrypted once per call: a retry of a lost answer must send these very bytes again. A new
    entry (``base_revision`` 0) is created now unless ``created_at`` says otherwise; an edit
    names no creation time unless given one, so the server keeps the entry's own.
    """
    sealed = aes_seal(keys.aes_key, text.encode(), context=entry_context(entry_id))
    stamp = now_iso()
    body: JsonObject = {
        "id": entry_id,
        "encrypted_content": b64e(sealed.ciphertext),
        "content_iv": b64e(sealed.iv),
        "content_tag": b64e(sealed.tag),
        "updated_at": stamp,
        "device_id": keys.device_id,
        "base_revision": base_revision,
    }
    if created_at is not None or base_revision == 0:
        body["created_at"] = created_at or stamp
    return body


class Journal:
    """A device's local copy of one account's entries, kept in step with the server."""

    def __init__(self, api: ApiSession, keys: KeyMaterial) -> None:
        self.api = api
        self.keys = keys
        self.entries: dict[str, Entry] = {}
        self.cursor: str | None = None

    # --- writes ------------------------------------------------------------------
    def write(self, entry_id: str, text: str, *, created_at: str | None = None) -> PushResult:
        """Push one entry edited from the revision this replica last saw."""
        payload = self._sealed_payload(entry_id, text, created_at)
        try:
            body = self.api.call("POST", "/api/sync/entries", json=payload, idempotent=True)
        except ServerError as error:
            if error.status != 409 or error.code != "conflict":
                raise
            return PushResult(
                entry_id, "conflict", conflict_id=_optional_str(error.body, "conflict_id")
            )
        self._remember(entry_id, text, int(body["revision"]), payload["updated_at"])
        return PushResult(entry_id, str(body.get("status", "stored")), int(body["revision"]))

    def write_many(self, texts: dict[str, str]) -> list[PushResult]:
        """Push many entries with ``/sync/batch``, at most 100 per request."""
        results: list[PushResult] = []
        items = list(texts.items())
        for start in range(0, len(items), BATCH_MAX_ITEMS):
            chunk = items[start : start + BATCH_MAX_ITEMS]
            payloads = [self._sealed_payload(entry_id, text, None) for entry_id, text in chunk]
            body = self.api.call(
                "POST", "/api/sync/batch", json={"items": payloads}, idempotent=True
            )
            for (entry_id, text), payload, result in zip(
                chunk, payloads, body["results"], strict=True
            ):
                pushed = _push_result(result)
                if pushed.status in ("stored", "unchanged") and pushed.revision is not None:
                    self._remember(entry_id, text, pushed.revision, payload["updated_at"])
                results.append(pushed)
        return results

    def delete(self, entry_id: str) -> PushResult:
        """Tombstone an entry; deleting over an edit this replica has not seen is a conflict."""
        params: dict[str, str | int] = {"device_id": self.keys.device_id}
        known = self.entries.get(entry_id)
        if known is not None:
            params["base_revision"] = known.revision
        try:
            body = self.api.call(
                "DELETE", f"/api/sync/entries/{entry_id}", params=params, idempotent=True
            )
        except ServerError as error:
            if error.status != 409 or error.code != "conflict":
                raise
            conflict_id = _optional_str(error.body, "conflict_id")
            return PushResult(entry_id, "conflict", conflict_id=conflict_id)
        revision = int(body["revision"])
        self._remember(entry_id, None, revision, now_iso())
        return PushResult(entry_id, str(body.get("status", "stored")), revision)

    def _sealed_payload(self, entry_id: str, text: str, created_at: str | None) -> JsonObject:
        known = self.entries.get(entry_id)
        base_revision = known.revision if known else 0
        return sealed_entry(self.keys, entry_id, text, base_revision, created_at=created_at)

    def _remember(self, entry_id: str, text: str | None, revision: int, updated_at: str) -> None:
        self.entries[entry_id] = Entry(entry_id, text, revision, updated_at, self.keys.device_id)

    # --- reads -------------------------------------------------------------------
    def pull(self) -> list[Entry]:
        """Fetch every change after this replica's cursor; returns the entries that changed."""
        changed: list[Entry] = []
        try:
            for item in self._changes():
                changed.append(self._apply(item))
        except ServerError as error:
            if error.status != 410:
                raise
            # The server pruned tombstones past our cursor: start over from scratch.
            self.entries.clear()
            self.cursor = None
            changed = [self._apply(item) for item in self._changes()]
        return changed

    def _changes(self) -> Iterator[JsonObject]:
        while True:
            params: dict[str, str | int] = {"limit": PAGE_SIZE}
            if self.cursor:
                params["cursor"] = self.cursor
            page = self.api.call("GET", "/api/sync/entries", params=params)
            yield from page["backups"]
            self.cursor = page.get("next_cursor") or self.cursor
            if not page["has_more"]:
                return

    def _apply(self, item: JsonObject) -> Entry:
        entry_id = str(item["id"])
        text = None if item.get("deleted") else self._open_entry(entry_id, item)
        entry = Entry(
            entry_id,
            text,
            int(item["revision"]),
            str(item.get("updated_at")),
            item.get("device_id"),
        )
        self.entries[entry_id] = entry
        return entry

    def _open_entry(self, entry_id: str, item: JsonObject) -> str:
        return open_text(
            self.keys.aes_key,
            entry_id,
            b64d(item["encrypted_content"]),
            b64d(item["content_iv"]),
            b64d_optional(item.get("content_tag")),
        )

    def live(self) -> list[Entry]:
        return sorted((e for e in self.entries.values() if not e.deleted), key=lambda e: e.id)

    def digest(self) -> str:
        return entry_digest((e.id, e.revision) for e in self.entries.values() if not e.deleted)

    def server_state(self) -> JsonObject:
        return self.api.call("GET", "/api/sync/state")

    # --- conflicts ---------------------------------------------------------------
    def conflicts(self) -> list[Conflict]:
        """Every open conflict, oldest first, page by page."""
        found: list[Conflict] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            body = self.api.call("GET", "/api/sync/conflicts", params=params)
            found.extend(self._conflict(item) for item in body["conflicts"])
            cursor = body.get("next_cursor")
            if not body.get("has_more") or not cursor:
                return found

    def _conflict(self, item: JsonObject) -> Conflict:
        entry_id = str(item["log_id"])
        return Conflict(
            id=str(item["id"]),
            entry_id=entry_id,
            local=self._version(entry_id, item["local_version"]),
            remote=self._version(entry_id, item["remote_version"]),
            detected_at=item.get("detected_at"),
        )

    def _version(self, entry_id: str, version: JsonObject) -> ConflictVersion:
        content = version.get("encrypted_content")
        text = None
        if content:
            text = open_text(
                self.keys.aes_key,
                entry_id,
                b64d(content),
                b64d(version["iv"]),
                b64d_optional(version.get("tag")),
            )
        revision = version.get("revision", version.get("base_revision"))
        return ConflictVersion(text, version.get("device_id"), revision, version.get("updated_at"))

    def resolve(
        self, conflict: Conflict, choice: str, merged_text: str | None = None
    ) -> JsonObject:
        """Close a conflict: keep ``remote``, take ``local``, or store a ``merged`` text."""
        body: dict[str, Any] = {"chosen_version": choice, "device_id": self.keys.device_id}
        if choice == "merged":
            if merged_text is None:
                raise ValueError("a merged resolution needs the merged text")
            sealed = aes_seal(
                self.keys.aes_key, merged_text.encode(), context=entry_context(conflict.entry_id)
            )
            body |= {
                "final_encrypted_content": b64e(sealed.ciphertext),
                "final_iv": b64e(sealed.iv),
                "final_tag": b64e(sealed.tag),
            }
        result = self.api.call("POST", f"/api/sync/conflicts/{conflict.id}/resolve", json=body)
        kept = {"local": conflict.local.text, "merged": merged_text}.get(choice)
        if kept is not None:  # "remote" changes nothing; the others are a new revision
            self._remember(conflict.entry_id, kept, int(result["revision"]), now_iso())
        return result


def open_text(key: bytes, entry_id: str, content: bytes, iv: bytes, tag: bytes | None) -> str:
    """Decrypt an entry's ciphertext; the tag may ride separately or appended to the content."""
    sealed = Sealed(content, iv, tag) if tag else Sealed.from_ciphertext_with_tag(content, iv)
    return aes_open(key, sealed, context=entry_context(entry_id)).decode()


def _push_result(result: JsonObject) -> PushResult:
    revision = result.get("revision")
    return PushResult(
        id=str(result["id"]),
        status=str(result["status"]),
        revision=int(revision) if revision is not None else None,
        conflict_id=_optional_str(result, "conflict_id"),
        error=_optional_str(result, "error"),
    )


def _optional_str(body: JsonObject, key: str) -> str | None:
    value = body.get(key)
    return None if value is None else str(value)
