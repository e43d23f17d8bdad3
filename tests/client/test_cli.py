"""The CLI's local behaviour: where it looks for keys and how it reports problems."""

import io

import pytest

from reflective_client import keyfile
from reflective_client.cli import build_parser, main
from reflective_client.keyfile import KeyMaterial


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    return tmp_path


def test_server_defaults_to_local_and_follows_the_environment(monkeypatch):
    monkeypatch.delenv("REFLECTIVE_SERVER_URL", raising=False)
    assert build_parser().parse_args(["--as", "a@b.c", "entries"]).server == (
        "http://127.0.0.1:8000"
    )
    monkeypatch.setenv("REFLECTIVE_SERVER_URL", "https://journal.example")
    assert build_parser().parse_args(["--as", "a@b.c", "entries"]).server == (
        "https://journal.example"
    )


def test_missing_key_file_is_reported_with_its_xdg_path(config_home, capsys):
    assert main(["--as", "nobody@example.com", "entries"], out=io.StringIO()) == 2
    assert str(config_home / "reflective" / "nobody@example.com.json") in capsys.readouterr().err


def test_register_never_overwrites_existing_keys(config_home, capsys):
    path = keyfile.key_path("a@example.com", directory=config_home / "reflective")
    keys = KeyMaterial.generate("a@example.com")
    keyfile.save(keys, path)
    assert main(["--as", "a@example.com", "register"], out=io.StringIO()) == 2
    assert "already exists" in capsys.readouterr().err
    assert keyfile.load(path) == keys


def test_unreachable_server_is_a_clear_error(config_home, capsys):
    path = keyfile.key_path("a@example.com", directory=config_home / "reflective")
    keyfile.save(KeyMaterial.generate("a@example.com").with_refresh_token("r"), path)
    argv = ["--server", "http://127.0.0.1:9", "--as", "a@example.com", "entries"]
    assert main(argv, out=io.StringIO()) == 1
    assert "cannot reach the server at http://127.0.0.1:9" in capsys.readouterr().err
