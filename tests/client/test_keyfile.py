"""The local key file: where it lives, who can read it, and that it round-trips."""

import json
import stat

import pytest

from reflective_client import keyfile
from reflective_client.keyfile import KeyFileError, KeyMaterial


@pytest.fixture(scope="module")
def material() -> KeyMaterial:
    return KeyMaterial.generate("Alice@Example.com")


def test_key_file_lives_under_xdg_config_home(tmp_path):
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path / "home")}
    assert keyfile.config_dir(environ) == tmp_path / "cfg" / "reflective"


def test_key_file_defaults_to_dot_config_in_home(tmp_path):
    environ = {"HOME": str(tmp_path / "home")}
    assert keyfile.config_dir(environ) == tmp_path / "home" / ".config" / "reflective"


def test_one_file_per_account_named_after_the_email(tmp_path):
    assert keyfile.key_path("Alice@Example.com", directory=tmp_path) == (
        tmp_path / "alice@example.com.json"
    )


def test_an_email_cannot_steer_the_path_out_of_the_directory(tmp_path):
    path = keyfile.key_path("../../etc/passwd@x.y", directory=tmp_path)
    assert path.parent == tmp_path
    assert "/" not in path.name


def test_saved_file_is_private_and_round_trips(tmp_path, material):
    path = tmp_path / "reflective" / "alice.json"
    keyfile.save(material.with_refresh_token("refresh-1"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded = keyfile.load(path)
    assert loaded == material.with_refresh_token("refresh-1")
    assert loaded.ckks().key_id == material.ckks().key_id
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_saving_again_replaces_the_file_and_keeps_it_private(tmp_path, material):
    path = tmp_path / "alice.json"
    keyfile.save(material, path)
    path.chmod(0o600)
    keyfile.save(material.with_refresh_token("refresh-2"), path)
    assert keyfile.load(path).refresh_token == "refresh-2"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused(tmp_path, material, mode):
    path = tmp_path / "alice.json"
    keyfile.save(material, path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match="chmod 600"):
        keyfile.load(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(KeyFileError, match="No key file"):
        keyfile.load(tmp_path / "nobody.json")


def test_malformed_file_is_a_clear_error(tmp_path, material):
    path = tmp_path / "alice.json"
    keyfile.save(material, path)
    data = json.loads(path.read_text())
    data["aes_key"] = "c2hvcnQ="  # 5 bytes, not 32
    path.write_text(json.dumps(data))
    with pytest.raises(KeyFileError, match="not a valid"):
        keyfile.load(path)


def test_every_generated_account_gets_fresh_keys_and_device_id():
    first = KeyMaterial.generate("a@example.com")
    second = KeyMaterial.generate("a@example.com")
    assert first.aes_key != second.aes_key
    assert first.hmac_key != second.hmac_key
    assert first.device_id != second.device_id
    assert len(first.device_id) == 32


def test_a_second_device_shares_the_keys_but_not_the_device_id_or_login(material):
    other = material.with_refresh_token("token").for_device("phone")
    assert other.aes_key == material.aes_key
    assert other.device_id == "phone"
    assert other.refresh_token is None
