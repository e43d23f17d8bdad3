"""What the HTTP benchmarks share: a fresh database, a gunicorn server, accounts, entries.

The server runs with DEBUG on unless BENCH_DEBUG=false (then also set SECRET_KEY,
ALLOWED_HOSTS and SECURE_SSL_REDIRECT=false, as for any production start);
BENCH_LOG_LEVEL=INFO keeps its one-line-per-request log (in the log file).
"""

import base64
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PASSWORD = "bench password 4 sync"
TEXT_BYTES = 2048
KEY = AESGCM.generate_key(bit_length=256)
DEFAULT_POSTGRES = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


# --- database ------------------------------------------------------------------------
def _psql(base_url: str, sql: str) -> None:
    subprocess.run(["psql", base_url + "/postgres", "-qc", sql], check=True)


def database_prepare(base_url: str, name: str) -> str:
    """Drop and recreate ``name``, migrate it, and return its URL."""
    database_drop(base_url, name)
    _psql(base_url, f"CREATE DATABASE {name}")
    url = f"{base_url}/{name}"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return url


def database_drop(base_url: str, name: str) -> None:
    _psql(base_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- server --------------------------------------------------------------------------
def port_free(port: int) -> int:
    """``port``, or any free one for 0; refuses a port something already listens on."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"port {port} is in use; pick another with --port") from None
        return int(probe.getsockname()[1])


def server_start(database_url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """gunicorn with ``gunicorn.conf.py`` on ``port``; returns once /api/health answers."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": os.environ.get("BENCH_DEBUG", "true"),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "THROTTLE_REGISTER_IP": "1000/hour",
        "THROTTLE_LOGIN_IP": "1000/min",
        "THROTTLE_LOGIN_ACCOUNT": "1000/min",
    }
    log = log_path.open("wb")
    command = [GUNICORN, "reflective.wsgi:application", "-c", "gunicorn.conf.py"]
    server = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if requests.get(f"{base}/api/health", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {log_path}")
        time.sleep(0.5)
    server_stop(server)
    raise SystemExit(f"gunicorn did not answer; see {log_path}")


def server_stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


# --- accounts ------------------------------------------------------------------------
def public_context_generate() -> bytes:
    """A fresh client-side CKKS key pair; only its public context is returned."""
    from reflective_client.crypto import CkksKeys

    return CkksKeys.generate().public_context


def account_create(
    base: str, database_url: str, *, public_context: bytes | None = None, label: str = "bench"
) -> str:
    """Register a user, log in and move it to full_sync; returns an access token."""
    email = f"{label}-{uuid.uuid4().hex[:8]}@example.com"
    registered = requests.post(
        f"{base}/api/auth/register", json={"email": email, "password": PASSWORD}, timeout=30
    )
    registered.raise_for_status()
    token = requests.post(
        f"{base}/api/auth/token", json={"email": email, "password": PASSWORD}, timeout=30
    )
    token.raise_for_status()
    access = str(token.json()["access_token"])
    context = public_context if public_context is not None else public_context_generate()
    body = {
        "privacy_tier": "full_sync",
        "consent_timestamp": datetime.now(UTC).isoformat(),
        "he_public_key": base64.b64encode(context).decode(),
    }
    moved = requests.put(
        f"{base}/api/users/me/privacy",
        json=body,
        headers={"Authorization": f"Bearer {access}"},
        timeout=60,
    )
    if moved.status_code != 200:
        print(f"privacy endpoint answered {moved.status_code}; setting the tier directly")
        command = (
            "from accounts.models import User; "
            f"User.objects.filter(email='{email}').update(privacy_tier='full_sync')"
        )
        env = {**os.environ, "DATABASE_URL": database_url}
        subprocess.run([PYTHON, "manage.py", "shell", "-c", command], cwd=ROOT, env=env, check=True)
    return access


# --- entries -------------------------------------------------------------------------
def entry_body(
    entry_id: str, device: str, *, base_revision: int = 0, text_bytes: int = TEXT_BYTES
) -> dict[str, Any]:
    """A push body holding a real AES-256-GCM ciphertext of ``text_bytes`` random text."""
    iv = os.urandom(12)
    text = os.urandom(text_bytes // 2).hex().encode()
    sealed = AESGCM(KEY).encrypt(iv, text, entry_id.encode())
    stamp = datetime.now(UTC).isoformat()
    return {
        "id": entry_id,
        "encrypted_content": base64.b64encode(sealed[:-16]).decode(),
        "content_iv": base64.b64encode(iv).decode(),
        "content_tag": base64.b64encode(sealed[-16:]).decode(),
        "created_at": stamp,
        "updated_at": stamp,
        "device_id": device,
        "base_revision": base_revision,
    }
