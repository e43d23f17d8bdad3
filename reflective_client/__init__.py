"""Reference client for the Reflective server.

Entries and tag names are sealed with AES-256-GCM, metrics are CKKS-encrypted with
TenSEAL, and all keys stay in a local key file; see docs/CLIENT.md.
"""

from reflective_client.api import ApiSession, ServerError
from reflective_client.client import ReflectiveClient
from reflective_client.keyfile import KeyMaterial

__all__ = ["ApiSession", "KeyMaterial", "ReflectiveClient", "ServerError"]
