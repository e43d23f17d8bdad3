"""A server per module, started as documented, stopped (with its temp state) at the end."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.smoke.servers import (
    SmokeServer,
    deployment_database,
    deployment_server,
    make_run_server,
)


@pytest.fixture(scope="module")
def make_run() -> Iterator[SmokeServer]:
    with (
        tempfile.TemporaryDirectory(prefix="reflective-smoke-") as state,
        make_run_server(Path(state)) as server,
    ):
        yield server


@pytest.fixture(scope="module")
def deployment() -> Iterator[SmokeServer]:
    with (
        tempfile.TemporaryDirectory(prefix="reflective-smoke-") as state,
        deployment_database(Path(state)) as database,
        deployment_server(Path(state), database) as server,
    ):
        yield server


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where the browser checks leave their screenshots: ``SMOKE_SCREENSHOT_DIR`` if set."""
    chosen = os.environ.get("SMOKE_SCREENSHOT_DIR")
    if not chosen:
        return tmp_path
    Path(chosen).mkdir(parents=True, exist_ok=True)
    return Path(chosen)
