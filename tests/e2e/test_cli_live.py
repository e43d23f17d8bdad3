"""The CLI against a running server, from registration to a downgrade."""

import io
import stat

import pytest

from reflective_client import keyfile
from reflective_client.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

EMAIL = "cli-user@example.com"


@pytest.fixture
def run(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("REFLECTIVE_SERVER_URL", live_server.url)
    monkeypatch.setenv("REFLECTIVE_PASSWORD", "a long enough cli password")

    def invoke(*argv: str, expect: int = 0) -> str:
        out = io.StringIO()
        assert main(["--as", EMAIL, *argv], out=out) == expect
        return out.getvalue()

    return invoke


def test_register_write_read_edit_and_downgrade(run, tmp_path, monkeypatch):
    assert "keys written to" in run("register", "--tier", "full_sync")
    path = keyfile.key_path(EMAIL, directory=tmp_path / "reflective")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv("REFLECTIVE_PASSWORD")  # from now on the stored login must suffice

    assert "stored, revision 1" in run("write", "--id", "first", "A calm walk by the river.")
    assert "stored, revision 2" in run("write", "--id", "first", "A calm, long walk.")
    listing = run("entries")
    assert "A calm, long walk." in listing
    assert "1 entry" in listing
    assert "this device has everything" in run("status")
    assert "sum of word_count: 4 over 1 value\n" in run("insights")  # the edit replaced it

    path.rename(tmp_path / "lost-keys.json")
    monkeypatch.setenv("REFLECTIVE_PASSWORD", "a long enough cli password")
    assert "a new key epoch" in run("keygen")
    assert "analytics key: this key file's" in run("status")
    run("entries", expect=2)  # written under the lost key: unreadable, and said so

    downgraded = run("tier", "local_only")
    assert "deleted_entries: 1" in downgraded
    run("entries", expect=1)
