"""HS256 secrets are checked once per key, and the check still refuses what it refused."""

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from jwt.api_jws import _jws_global_obj
from jwt.exceptions import InvalidKeyError, InvalidSignatureError

from accounts.jwt_keys import PreparedKeyHMAC


def test_tokens_are_signed_and_verified_by_the_kept_check() -> None:
    assert isinstance(_jws_global_obj.get_algorithm_by_name("HS256"), PreparedKeyHMAC)
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    token = jwt.encode({"sub": "a"}, key, algorithm="HS256")
    assert jwt.decode(token, key, algorithms=["HS256"]) == {"sub": "a"}
    with pytest.raises(InvalidSignatureError):
        jwt.decode(token, "another-key-" + "x" * 40, algorithms=["HS256"])


def test_an_asymmetric_key_is_refused_every_time() -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for _ in range(2):
        with pytest.raises(InvalidKeyError):
            jwt.encode({"sub": "a"}, pem, algorithm="HS256")
