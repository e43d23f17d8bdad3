import pytest
import tenseal as ts

from analytics.formats import ckks

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("degree", sorted(ckks.PARAMETER_SETS))
def test_the_keyless_context_is_what_tenseal_itself_serializes_without_keys(degree):
    with_keys = ts.context(
        ts.SCHEME_TYPE.CKKS, degree, coeff_mod_bit_sizes=ckks.PARAMETER_SETS[degree]
    )
    reference = with_keys.serialize(
        save_public_key=False, save_secret_key=False, save_galois_keys=False, save_relin_keys=False
    )

    assert ckks._keyless_context_bytes(degree) == reference


def test_the_parameters_context_holds_no_key():
    context = ckks.parameters_context(8192)

    assert context.is_public()
    assert not context.has_public_key()
    assert not context.has_relin_keys()


def test_the_keyless_context_sums_what_a_client_encrypted(keys):
    context = ckks.parameters_context(8192)
    left = ts.ckks_vector_from(context, keys.encrypt([1.5, -2.0]))
    right = ts.ckks_vector_from(context, keys.encrypt([2.5, 4.0]))

    total = keys.decrypt(bytes((left + right).serialize()))

    assert total == pytest.approx([4.0, 2.0], rel=1e-6)


def test_malformed_json_on_the_upload_endpoint_is_a_400(keyed_alice, api_alice):
    response = api_alice.post(
        "/api/encryption/metrics", '{"metrics": [', content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (400, "malformed_body")


def test_json_constants_are_refused(keyed_alice, api_alice):
    response = api_alice.post(
        "/api/encryption/metrics", '{"metrics": [NaN]}', content_type="application/json"
    )

    assert response.status_code == 400


def test_the_schema_documents_every_analytics_path(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path, method in [
        ("/api/encryption/context", "get"),
        ("/api/encryption/public-context", "put"),
        ("/api/encryption/metrics", "post"),
        ("/api/encryption/metrics", "delete"),
        ("/api/encryption/aggregate", "post"),
        ("/api/sync/metrics/all", "delete"),
    ]:
        assert method in schema["paths"][path], (path, method)
    upload = schema["paths"]["/api/encryption/metrics"]["post"]["requestBody"]
    assert "MetricsUploadSchema" in str(upload)


def test_the_schema_describes_both_formats_wherever_keys_and_ciphertexts_travel(anon):
    from analytics.messages import AnalyticsSchemaTexts as Texts

    components = anon.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]
    schemas = components["schemas"]

    described = {
        ("PublicContextUploadRequest", "he_public_key"): Texts.PUBLIC_KEY,
        ("PrivacyChangeRequest", "he_public_key"): Texts.PUBLIC_KEY,
        ("MetricItemRequest", "encrypted_value"): Texts.CIPHERTEXT,
        ("AggregateResult", "encrypted_result"): Texts.RESULT,
        ("BucketResult", "encrypted_result"): Texts.RESULT,
        ("KeyEpoch", "format"): Texts.FORMAT,
    }
    for (name, field), text in described.items():
        assert schemas[name]["properties"][field]["description"] == text, (name, field)
    assert "PublicKey.save()" in Texts.PUBLIC_KEY
    assert "Ciphertext.save()" in Texts.CIPHERTEXT
