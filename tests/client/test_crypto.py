"""AES-GCM, tag digests and CKKS as the client uses them, with real keys."""

import os
import tempfile
from pathlib import Path

import pytest
import tenseal as ts
from django.conf import settings

from reflective_client.crypto import (
    CkksKeys,
    DecryptionError,
    Sealed,
    aes_open,
    aes_seal,
    tag_digest,
    without_private_part,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def test_sealed_text_opens_with_the_same_key_and_context():
    sealed = aes_seal(KEY, b"Dear diary", context=b"entry-1")
    assert aes_open(KEY, sealed, context=b"entry-1") == b"Dear diary"
    assert len(sealed.iv) == 12
    assert len(sealed.tag) == 16


def test_every_seal_uses_a_fresh_nonce():
    first = aes_seal(KEY, b"same text", context=b"e")
    second = aes_seal(KEY, b"same text", context=b"e")
    assert first.iv != second.iv
    assert first.ciphertext != second.ciphertext


def test_wrong_key_fails():
    sealed = aes_seal(KEY, b"secret", context=b"e")
    with pytest.raises(DecryptionError):
        aes_open(OTHER_KEY, sealed, context=b"e")


def test_ciphertext_moved_to_another_entry_fails():
    sealed = aes_seal(KEY, b"secret", context=b"entry-1")
    with pytest.raises(DecryptionError):
        aes_open(KEY, sealed, context=b"entry-2")


@pytest.mark.parametrize("part", ["ciphertext", "iv", "tag"])
def test_any_flipped_bit_fails(part):
    sealed = aes_seal(KEY, b"secret text", context=b"e")
    fields = {"ciphertext": sealed.ciphertext, "iv": sealed.iv, "tag": sealed.tag}
    damaged = bytearray(fields[part])
    damaged[0] ^= 0x01
    fields[part] = bytes(damaged)
    with pytest.raises(DecryptionError):
        aes_open(KEY, Sealed(**fields), context=b"e")


def test_tag_appended_to_the_ciphertext_round_trips():
    sealed = aes_seal(KEY, b"work", context=b"tag")
    rebuilt = Sealed.from_ciphertext_with_tag(sealed.ciphertext_with_tag, sealed.iv)
    assert rebuilt == sealed


def test_tag_digest_ignores_case_width_and_spacing_but_not_the_key():
    assert tag_digest(KEY, "  Morning   Pages ") == tag_digest(KEY, "morning pages")
    full_width_work = "\uff37\uff2f\uff32\uff2b"
    assert tag_digest(KEY, full_width_work) == tag_digest(KEY, "work")
    assert tag_digest(KEY, "work") != tag_digest(KEY, "walk")
    assert tag_digest(KEY, "work") != tag_digest(OTHER_KEY, "work")
    assert len(tag_digest(KEY, "work")) == 32


@pytest.fixture(scope="module")
def ckks() -> CkksKeys:
    return CkksKeys.generate()


def test_public_context_holds_no_secret_galois_or_relin_keys(ckks):
    public = ts.context_from(ckks.public_context)
    assert not public.is_private()
    assert public.is_public()
    assert not public.has_galois_keys()
    assert not public.has_relin_keys()
    assert len(ckks.public_context) <= settings.HE_PUBLIC_KEY_MAX_BYTES


def test_secret_key_bytes_are_in_the_secret_context_only(ckks):
    secret_key = secret_key_bytes(ckks)
    assert secret_key in ckks.secret_context()
    assert secret_key not in ckks.public_context


def test_key_id_survives_a_reload_of_the_secret_context(ckks):
    reloaded = CkksKeys(ckks.secret_context())
    assert reloaded.key_id == ckks.key_id
    assert reloaded.public_context == ckks.public_context
    assert len(ckks.key_id) == 64


def test_public_context_is_refused_where_a_secret_one_is_needed(ckks):
    with pytest.raises(ValueError, match="secret context"):
        CkksKeys(ckks.public_context)


def test_sum_computed_without_any_key_decrypts_to_the_sum(ckks):
    # What the server does: load ciphertexts under the public context and add them.
    server = ts.context_from(ckks.public_context)
    values = [[120.0, 0.5], [80.0, -0.25], [301.0, 1.0]]
    ciphertexts = [ts.ckks_vector_from(server, ckks.encrypt(v)) for v in values]
    total = ciphertexts[0] + ciphertexts[1] + ciphertexts[2]
    assert ckks.decrypt(total.serialize()) == pytest.approx([501.0, 1.25], abs=1e-3)
    average = total * (1 / len(values))
    assert ckks.decrypt(average.serialize()) == pytest.approx([167.0, 1.25 / 3], abs=1e-3)


def test_another_key_cannot_read_a_metric(ckks):
    ciphertext = ckks.encrypt([42.0])
    other = CkksKeys.generate()
    assert other.key_id != ckks.key_id
    assert other.decrypt(ciphertext)[0] != pytest.approx(42.0, abs=1.0)


def test_garbage_is_not_a_ciphertext(ckks):
    with pytest.raises(DecryptionError):
        ckks.decrypt(os.urandom(64))


def secret_key_bytes(keys: CkksKeys) -> bytes:
    """The SEAL serialization of the secret key, as it appears inside a secret context."""
    context = ts.context_from(keys.secret_context())
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "sk"
        context.secret_key().data.save(str(path))
        return path.read_bytes()


def test_the_public_context_is_the_secret_one_without_its_private_part(ckks):
    """Byte for byte, so a client that did not serialize the key file names the same key id."""
    public = ckks.public_context
    assert without_private_part(ckks.secret_context()) == public
    assert len(public) < len(ckks.secret_context())
    assert not ts.context_from(public).is_private()


def test_the_public_context_matches_what_tenseal_itself_writes(ckks):
    context = ts.context_from(ckks.secret_context())
    written = context.serialize(
        save_secret_key=False, save_galois_keys=False, save_relin_keys=False
    )
    assert ckks.public_context == bytes(written)
