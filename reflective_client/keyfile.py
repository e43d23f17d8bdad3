"""The local key file: one JSON file per account, readable by its owner only.

It lives under ``$XDG_CONFIG_HOME/reflective/`` (default ``~/.config/reflective/``) and
holds the AES-256 entry key, the HMAC key for tag digests, the CKKS secret context, this
install's device id and, after a login, the current refresh token. Losing it means losing
the ability to read the journal: the server cannot help, by design.
"""

import base64
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reflective_client.crypto import AES_KEY_BYTES, HMAC_KEY_BYTES, CkksKeys

FORMAT = "reflective-keyfile/1"
_UNSAFE_FILENAME_CHARS = re.compile(r"[^a-z0-9@._+-]")


class KeyFileError(Exception):
    """The key file is missing, unreadable, malformed or readable by other users."""


@dataclass(frozen=True)
class KeyMaterial:
    email: str
    aes_key: bytes
    hmac_key: bytes
    ckks_secret_context: bytes
    device_id: str
    refresh_token: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @classmethod
    def generate(cls, email: str, *, device_id: str | None = None) -> "KeyMaterial":
        return cls(
            email=email.strip().lower(),
            aes_key=secrets.token_bytes(AES_KEY_BYTES),
            hmac_key=secrets.token_bytes(HMAC_KEY_BYTES),
            ckks_secret_context=CkksKeys.generate().secret_context(),
            device_id=device_id or new_device_id(),
        )

    def ckks(self) -> CkksKeys:
        return CkksKeys(self.ckks_secret_context)

    def with_refresh_token(self, token: str | None) -> "KeyMaterial":
        return replace(self, refresh_token=token)

    def for_device(self, device_id: str) -> "KeyMaterial":
        """The same keys on another install of the same user (a second device)."""
        return replace(self, device_id=device_id, refresh_token=None)


def new_device_id() -> str:
    """A random per-install id (16 bytes, hex), as earlier Reflective clients use."""
    return secrets.token_hex(16)


def config_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "reflective"


def key_path(email: str, *, directory: Path | None = None) -> Path:
    name = _UNSAFE_FILENAME_CHARS.sub("_", email.strip().lower())
    return (directory or config_dir()) / f"{name}.json"


def save(material: KeyMaterial, path: Path) -> None:
    """Write atomically with mode 0600 from the first byte: no window where others can read."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(_to_json(material), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load(path: Path) -> KeyMaterial:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"No key file at {path}.") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is accessible by other users; run: chmod 600 {path}")
    try:
        return _from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KeyFileError(f"{path} is not a valid Reflective key file.") from error


def _to_json(material: KeyMaterial) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "email": material.email,
        "device_id": material.device_id,
        "created_at": material.created_at,
        "aes_key": _b64(material.aes_key),
        "hmac_key": _b64(material.hmac_key),
        "ckks_secret_context": _b64(material.ckks_secret_context),
        "refresh_token": material.refresh_token,
    }


def _from_json(data: dict[str, Any]) -> KeyMaterial:
    if data.get("format") != FORMAT:
        raise ValueError("unknown key file format")
    material = KeyMaterial(
        email=str(data["email"]),
        aes_key=base64.b64decode(data["aes_key"], validate=True),
        hmac_key=base64.b64decode(data["hmac_key"], validate=True),
        ckks_secret_context=base64.b64decode(data["ckks_secret_context"], validate=True),
        device_id=str(data["device_id"]),
        refresh_token=data.get("refresh_token"),
        created_at=str(data["created_at"]),
    )
    if len(material.aes_key) != AES_KEY_BYTES or len(material.hmac_key) != HMAC_KEY_BYTES:
        raise ValueError("key lengths are wrong")
    return material


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
