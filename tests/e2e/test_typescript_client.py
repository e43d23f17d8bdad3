"""The TypeScript client library (clients/typescript) against gunicorn on PostgreSQL.

Three parts: its `node --test` flows, the same flows in headless Chromium (playwright-core
with Debian's /usr/bin/chromium, no browser download), and the cross-client check with the
Python reference client: entries written by either read in the other, one key file serves
both, and a sum over metrics both uploaded decrypts right in both. The package is built
here (`npm ci` from its lockfile when node_modules is missing, then `tsc`).
"""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import skip_outside_ci
from reflective_client import ReflectiveClient, keyfile
from reflective_client.analytics import MetricPoint
from reflective_client.keyfile import KeyMaterial
from tests.e2e.conftest import RunningServer, database_url, running_gunicorn

pytestmark = pytest.mark.slow

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "typescript"
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a cross-client password 7"
# Each test registers a few accounts from 127.0.0.1; the default is 10 an hour.
SERVER_ENV = {"THROTTLE_REGISTER_IP": "1000/hour"}


def _run(command: list[str], *, timeout: int = 600, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command,
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return done.stdout


@pytest.fixture(scope="session")
def built_package() -> Path:
    """The library compiled to dist/, its pinned dependencies installed from the lockfile."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        skip_outside_ci("node and npm are not installed")
    assert npm is not None
    if not (PACKAGE / "node_modules" / "node-seal").is_dir():
        _run([npm, "ci", "--no-audit", "--no-fund"])
    _run([npm, "run", "build"])
    return PACKAGE


@pytest.fixture
def ts_server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    with running_gunicorn(database_url(), tmp_path, env=SERVER_ENV) as server:
        yield server


def _node_test(file: str, server: RunningServer) -> str:
    node = shutil.which("node")
    assert node is not None
    return _run([node, "--test", file], env={"REFLECTIVE_SERVER_URL": server.url})


def test_the_package_packs_its_typed_build_and_installs_offline(built_package: Path) -> None:
    """npm pack ships dist/ with its types; no dependency runs an install script."""
    npm = shutil.which("npm")
    assert npm is not None
    packed = json.loads(_run([npm, "pack", "--dry-run", "--json"]))[0]
    files = {entry["path"] for entry in packed["files"]}
    assert {"dist/index.js", "dist/index.d.ts", "dist/ckks.js", "package.json"} <= files
    assert not any(path.startswith(("src/", "test/")) for path in files)
    lock = json.loads((PACKAGE / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/node-seal"]["version"] == "6.0.3"
    assert not [name for name, entry in lock["packages"].items() if entry.get("hasInstallScript")]


@pytest.mark.postgres_only
def test_the_library_passes_its_node_flows(built_package: Path, ts_server: RunningServer) -> None:
    output = _node_test("test/node.test.mjs", ts_server)
    assert "# fail 0" in output


@pytest.mark.postgres_only
def test_the_library_passes_the_same_flows_in_chromium(
    built_package: Path, ts_server: RunningServer
) -> None:
    if not CHROMIUM.exists():
        skip_outside_ci("Chromium is not installed: apt-get install -y chromium")
    output = _node_test("test/browser.test.mjs", ts_server)
    assert "# fail 0" in output
    assert "# pass 6" in output


def _typescript(*args: str) -> Any:
    node = shutil.which("node")
    assert node is not None
    return json.loads(_run([node, "test/cross-client.mjs", *args]))


def _python_device(server: RunningServer, keys: KeyMaterial, name: str) -> ReflectiveClient:
    client = ReflectiveClient(keys.for_device(name), server.url)
    client.login(PASSWORD)
    return client


def _entries(client: ReflectiveClient) -> dict[str, str | None]:
    client.journal.pull()
    return {entry.id: entry.text for entry in client.journal.live()}


@pytest.mark.postgres_only
def test_a_python_key_file_serves_the_typescript_client(
    built_package: Path, ts_server: RunningServer, tmp_path: Path
) -> None:
    keys = KeyMaterial.generate("cross-python@example.com")
    laptop = ReflectiveClient(keys, ts_server.url)
    laptop.api.register(keys.email, PASSWORD)
    laptop.login(PASSWORD)
    laptop.account.set_tier("full_sync")
    laptop.journal.write("from-python", "Écrit en Python.")
    when = datetime(2026, 6, 1, 9, tzinfo=UTC)
    laptop.insights.upload([MetricPoint("word_count", [3.0], when, "from-python")])
    path = tmp_path / "keys" / "cross-python.json"
    keyfile.save(keys, path)

    seen = _typescript("read-python", ts_server.url, str(path), PASSWORD)

    assert seen["entries"] == {"from-python": "Écrit en Python."}
    assert seen["format"] == "tenseal"
    assert seen["count"] == 2
    assert seen["sum"] == pytest.approx(7.5, abs=1e-3)
    assert _entries(laptop)["from-typescript"] == "Written in TypeScript ✓"
    total = laptop.insights.aggregate("word_count", "sum")
    assert total.count == 2
    assert total.values is not None
    assert total.values[0] == pytest.approx(7.5, abs=1e-3)


@pytest.mark.postgres_only
def test_a_typescript_key_file_serves_the_python_client(
    built_package: Path, ts_server: RunningServer, tmp_path: Path
) -> None:
    path = tmp_path / "cross-typescript.json"
    made = _typescript(
        "make-account", ts_server.url, str(path), "cross-typescript@example.com", PASSWORD
    )
    keys = keyfile.load(path)
    assert made["key_id"] == made["key_ids"]["tenseal"] == keys.ckks().key_id

    phone = _python_device(ts_server, keys, "python-phone")
    assert _entries(phone) == {"born-in-typescript": "Ein Eintrag aus TypeScript."}
    phone.journal.write("from-python", "Und eine Antwort aus Python.")
    when = datetime(2026, 6, 2, 9, tzinfo=UTC)
    phone.insights.upload([MetricPoint("word_count", [5.0], when, "from-python")])
    total = phone.insights.aggregate("word_count", "sum")
    assert total.values is not None
    assert (total.count, round(total.values[0], 3)) == (2, 7.0)

    again = _typescript("sum", ts_server.url, str(path), PASSWORD)
    assert again["entries"]["from-python"] == "Und eine Antwort aus Python."
    assert (again["count"], round(again["sum"], 3)) == (2, 7.0)
