"""A real node-seal client (tests/node, node-seal from the npm registry) against gunicorn.

The Node script makes SEAL keys, registers, upgrades to analytics_sync with its PublicKey,
uploads 30 ciphertexts, and decrypts the server's sum and average with node-seal's own
Ciphertext.load: the proof that raw SEAL clients get working analytics. It runs when
`node` is installed; `make test` installs the package with `npm ci --prefix tests/node`.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import skip_outside_ci

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE = shutil.which("node")


@pytest.fixture
def node() -> str:
    if NODE is None:
        skip_outside_ci("node is not installed")
    if not (NODE_DIR / "node_modules" / "node-seal").is_dir():
        skip_outside_ci("node-seal is not installed: npm ci --prefix tests/node")
    return NODE


def test_a_node_seal_client_gets_its_encrypted_sum(node, gunicorn_server):
    done = subprocess.run(
        [
            node,
            "seal_client.cjs",
            gunicorn_server.url,
            "node-seal@example.com",
            "a node password 1",
        ],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert (result["tier"], result["stored"], result["count"]) == ("analytics_sync", 30, 30)
    assert len(result["key_id"]) == 64
    assert result["expected_sum"] == 697.5
    assert result["sum"] == pytest.approx(697.5, abs=1e-3)
    assert result["average"] == pytest.approx(697.5 / 30, abs=1e-3)
