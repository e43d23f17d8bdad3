"""The account's privacy tier: what the server is allowed to keep."""

from datetime import UTC, datetime
from typing import Any

from reflective_client.api import ApiSession, JsonObject
from reflective_client.crypto import CkksKeys
from reflective_client.encoding import b64e

TIERS = ("local_only", "analytics_sync", "full_sync")


class Account:
    def __init__(self, api: ApiSession, keys: CkksKeys) -> None:
        self.api = api
        self.keys = keys

    def me(self) -> JsonObject:
        return self.api.call("GET", "/api/users/me")

    def privacy(self) -> JsonObject:
        return self.api.call("GET", "/api/users/me/privacy")

    def stats(self) -> JsonObject:
        return self.api.call("GET", "/api/users/me/stats")

    def set_tier(self, tier: str) -> JsonObject:
        """Move to ``tier``; a downgrade makes the server delete what the tier disallows.

        Any tier above local_only needs the server to hold this client's public CKKS
        context, so it is sent whenever the server's key is not this client's.
        """
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
        body: dict[str, Any] = {
            "privacy_tier": tier,
            "consent_timestamp": datetime.now(UTC).isoformat(),
        }
        if tier != "local_only" and self.privacy().get("analytics_key_id") != self.keys.key_id:
            body["he_public_key"] = b64e(self.keys.public_context)
        return self.api.call("PUT", "/api/users/me/privacy", json=body)

    def revoke(self) -> JsonObject:
        """Back to local_only at once, deleting everything synced."""
        return self.api.call("DELETE", "/api/users/me/privacy/revoke")
