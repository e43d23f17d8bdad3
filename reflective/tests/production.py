"""Run code under the production settings in a subprocess (DEBUG off, real-looking secrets).

Settings are read once per process from the environment, so the only faithful way to see
what a production deploy does is a fresh interpreter with a production environment.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PRODUCTION_HOST = "journal.example.com"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REFLECTIVE_")) and key != "DATABASE_URL"
    }
    env.update(
        DEBUG="false",
        REFLECTIVE_TESTING="false",
        SECRET_KEY="production-like-" + "x7Q!pL2#" * 8,
        ALLOWED_HOSTS=PRODUCTION_HOST,
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        CACHE_URL="locmemcache://",
        DJANGO_SETTINGS_MODULE="reflective.settings",
        LOG_LEVEL="CRITICAL",
    )
    env.update(overrides)
    return env


def run_production(
    args: list[str], tmp_path: Path, **overrides: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_FETCH = """
import json, sys, django
django.setup()
from django.test import Client
path, secure, origin = sys.argv[1], sys.argv[2] == "https", sys.argv[3]
extra = {"HTTP_ORIGIN": origin} if origin else {}
response = Client(HTTP_HOST="%s").get(path, secure=secure, **extra)
headers = {name.lower(): value for name, value in response.headers.items()}
print(json.dumps({"status": response.status_code, "headers": headers}))
"""


def production_get(
    path: str, tmp_path: Path, *, scheme: str = "https", origin: str = "", **overrides: str
) -> dict[str, Any]:
    """GET ``path`` through the whole middleware stack of a production process.

    Header names come back lower-cased.
    """
    script = _FETCH % PRODUCTION_HOST
    done = run_production(["-c", script, path, scheme, origin], tmp_path, **overrides)
    assert done.returncode == 0, done.stderr[-2000:]
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer
