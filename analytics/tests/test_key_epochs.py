import base64
import hashlib

import pytest
import tenseal as ts

from analytics.messages import AnalyticsMessages as Msg
from analytics.models import PublicContext
from analytics.selectors import current_key_id
from analytics.services.keys import public_context_install
from analytics.tests.conftest import key_install_refused

pytestmark = pytest.mark.django_db


def test_install_returns_sha256_of_the_uploaded_bytes(alice, keys):
    key_id = public_context_install(user=alice, key_bytes=keys.public_bytes)

    assert key_id == hashlib.sha256(keys.public_bytes).hexdigest()
    assert current_key_id(user=alice) == key_id
    epoch = PublicContext.objects.get(user=alice)
    assert bytes(epoch.context_bytes) == keys.public_bytes
    assert (epoch.format, epoch.poly_modulus_degree) == ("tenseal", 8192)


def test_reuploading_the_current_key_changes_nothing(alice, keys):
    public_context_install(user=alice, key_bytes=keys.public_bytes)
    public_context_install(user=alice, key_bytes=keys.public_bytes)

    assert PublicContext.objects.filter(user=alice).count() == 1


def test_a_new_key_becomes_the_only_current_epoch(alice, keys, other_keys):
    first = public_context_install(user=alice, key_bytes=keys.public_bytes)
    second = public_context_install(user=alice, key_bytes=other_keys.public_bytes)

    assert current_key_id(user=alice) == second
    assert list(PublicContext.objects.filter(user=alice).values_list("key_id", "is_current")) == [
        (first, False),
        (second, True),
    ]


def test_reuploading_an_older_key_makes_it_current_again(alice, keys, other_keys):
    first = public_context_install(user=alice, key_bytes=keys.public_bytes)
    public_context_install(user=alice, key_bytes=other_keys.public_bytes)

    assert public_context_install(user=alice, key_bytes=keys.public_bytes) == first
    assert current_key_id(user=alice) == first


def test_no_key_means_no_current_key_id(alice):
    assert current_key_id(user=alice) is None


def test_epochs_belong_to_their_user(alice, bob, keys):
    public_context_install(user=alice, key_bytes=keys.public_bytes)

    assert current_key_id(user=bob) is None


def test_a_context_with_its_secret_key_is_refused(alice, keys):
    private = keys.secret.serialize(save_secret_key=True, save_relin_keys=False)

    error = key_install_refused(alice, private)

    assert (error.code, error.detail) == ("secret_key_present", Msg.PRIVATE_CONTEXT)


def test_an_oversize_context_is_refused_before_parsing(alice, settings, keys):
    settings.HE_PUBLIC_KEY_MAX_BYTES = len(keys.public_bytes) - 1

    assert key_install_refused(alice, keys.public_bytes).code == "public_key_too_large"


def test_a_context_with_galois_keys_is_refused(alice, small_keys, settings):
    settings.HE_PUBLIC_KEY_MAX_BYTES = 64 * 1024 * 1024
    context = small_keys.secret.copy()
    context.generate_galois_keys()
    with_galois = context.serialize(save_secret_key=False, save_relin_keys=False)

    assert key_install_refused(alice, with_galois).code == "galois_keys_present"


@pytest.mark.parametrize(
    "blob",
    [b"", b"\x00", b"garbage that is not a protobuf", b"\x0a\x01\x08", b"\x0a\xff\xff\xff\x0f"],
)
def test_garbage_is_an_invalid_public_key(alice, blob):
    assert key_install_refused(alice, blob).code == "invalid_public_key"


def test_a_truncated_context_is_invalid(alice, keys):
    assert key_install_refused(alice, keys.public_bytes[: len(keys.public_bytes) // 2]).code == (
        "invalid_public_key"
    )


def test_parameters_outside_the_policy_are_refused(alice):
    context = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 40, 60])
    public = context.serialize(save_secret_key=False, save_relin_keys=False)

    assert key_install_refused(alice, public).code == "parameters_not_allowed"


def test_a_bfv_context_is_refused(alice):
    context = ts.context(ts.SCHEME_TYPE.BFV, 4096, plain_modulus=1032193)
    public = context.serialize(save_secret_key=False, save_relin_keys=False)

    assert key_install_refused(alice, public).code == "parameters_not_allowed"


def test_the_smaller_allowed_parameter_set_is_accepted(alice, small_keys):
    public_context_install(user=alice, key_bytes=small_keys.public_bytes)

    assert PublicContext.objects.get(user=alice).poly_modulus_degree == 4096


# --- HTTP ------------------------------------------------------------------------------


def test_the_policy_is_public_static_and_generates_no_keys(anon, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anon.get("/api/encryption/context")

    body = response.json()
    assert response.status_code == 200
    assert body["context_params"] == {
        "scheme": "CKKS",
        "poly_modulus_degree": 8192,
        "coeff_mod_bit_sizes": [60, 40, 40, 60],
        "scale": 2.0**40,
        "scale_bits": 40,
        "slot_count": 4096,
    }
    assert [p["poly_modulus_degree"] for p in body["allowed_parameter_sets"]] == [4096, 8192, 16384]
    assert body["serialized_context"] is None
    assert len(response.content) < 2048
    assert "max-age" in response["Cache-Control"]


def test_a_rekey_over_http_becomes_current(api_alice, alice, keys, other_keys):
    public_context_install(user=alice, key_bytes=keys.public_bytes)

    response = api_alice.put(
        "/api/encryption/public-context", {"he_public_key": other_keys.public_b64}, format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["key_id"] == hashlib.sha256(other_keys.public_bytes).hexdigest()
    assert (body["is_current"], body["poly_modulus_degree"]) == (True, 8192)
    assert current_key_id(user=alice) == body["key_id"]


def test_a_secret_key_over_http_is_422_and_never_stored_or_logged(api_alice, alice, keys, caplog):
    private = keys.secret.serialize(save_secret_key=True, save_relin_keys=False)
    encoded = base64.b64encode(private).decode()

    response = api_alice.put(
        "/api/encryption/public-context", {"he_public_key": encoded}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (422, "secret_key_present")
    assert not PublicContext.objects.exists()
    assert encoded[:64] not in caplog.text


@pytest.mark.parametrize(
    ("text", "code"),
    [("not base64!", "invalid_public_key"), ("QUJD", "invalid_public_key")],
)
def test_bad_public_keys_over_http_are_422(api_alice, text, code):
    response = api_alice.put(
        "/api/encryption/public-context", {"he_public_key": text}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (422, code)


def test_an_oversize_key_is_refused_before_decoding(api_alice, settings):
    settings.HE_PUBLIC_KEY_MAX_BYTES = 1000

    response = api_alice.put(
        "/api/encryption/public-context", {"he_public_key": "A" * 4000}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (422, "public_key_too_large")


def test_local_only_users_cannot_rekey(api_charlie, keys):
    response = api_charlie.put(
        "/api/encryption/public-context", {"he_public_key": keys.public_b64}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (403, "tier_required")
    assert not PublicContext.objects.exists()


def test_rekeying_needs_a_login(anon, keys):
    response = anon.put("/api/encryption/public-context", {"he_public_key": keys.public_b64})

    assert response.status_code == 401
