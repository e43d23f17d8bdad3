"""Zero-knowledge tags: names sealed with AES-GCM, de-duplicated by a keyed HMAC digest."""

from dataclasses import dataclass

from reflective_client.api import ApiSession, JsonObject
from reflective_client.crypto import Sealed, aes_open, aes_seal, tag_digest
from reflective_client.encoding import b64d, b64e
from reflective_client.keyfile import KeyMaterial

TAG_NAME_CONTEXT = b"reflective/tag-name"
PAGE_SIZE = 200


@dataclass(frozen=True)
class Tag:
    id: str
    name: str
    color: str
    created_at: str | None
    last_used_at: str | None
    revision: int | None = None


class TagBook:
    def __init__(self, api: ApiSession, keys: KeyMaterial) -> None:
        self.api = api
        self.keys = keys

    def list(self) -> list[Tag]:
        """Every tag, decrypted, sorted by name (the server pages them by last use)."""
        found: list[Tag] = []
        while True:
            params: dict[str, str | int] = {"limit": PAGE_SIZE, "offset": len(found)}
            page = self.api.call("GET", "/api/tags", params=params)
            found.extend(self._open(item) for item in page["tags"])
            if not page["has_more"] or not page["tags"]:
                return sorted(found, key=lambda tag: tag.name)

    def add(self, name: str, *, color: str | None = None) -> Tag:
        """Create a tag, or touch the existing one with the same normalized name."""
        body = self._sealed_name(name)
        if color is not None:
            body["color"] = color
        # Same digest -> the server answers with the existing tag, so a retry is harmless.
        return self._open(self.api.call("POST", "/api/tags", json=body, idempotent=True))

    def rename(self, tag_id: str, name: str) -> Tag:
        return self._open(
            self.api.call("PATCH", f"/api/tags/{tag_id}", json=self._sealed_name(name))
        )

    def touch(self, tag_id: str) -> Tag:
        return self._open(self.api.call("POST", f"/api/tags/{tag_id}/touch", idempotent=True))

    def delete(self, tag_id: str) -> None:
        self.api.call("DELETE", f"/api/tags/{tag_id}")

    def _sealed_name(self, name: str) -> JsonObject:
        sealed = aes_seal(self.keys.aes_key, name.strip().encode(), context=TAG_NAME_CONTEXT)
        return {
            "encrypted_name": b64e(sealed.ciphertext_with_tag),
            "name_iv": b64e(sealed.iv),
            "name_digest": b64e(tag_digest(self.keys.hmac_key, name)),
        }

    def _open(self, item: JsonObject) -> Tag:
        sealed = Sealed.from_ciphertext_with_tag(
            b64d(item["encrypted_name"]), b64d(item["name_iv"])
        )
        name = aes_open(self.keys.aes_key, sealed, context=TAG_NAME_CONTEXT).decode()
        return Tag(
            id=str(item["id"]),
            name=name,
            color=str(item.get("color", "")),
            created_at=item.get("created_at"),
            last_used_at=item.get("last_used_at"),
            revision=item.get("revision"),
        )
