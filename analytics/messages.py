"""Error texts of the analytics API, shared by the code that raises them and the tests."""


class AnalyticsMessages:
    PUBLIC_KEY_TOO_LARGE = (
        "The public context is larger than {limit} bytes. Serialize it without Galois keys "
        "(and without relinearization keys at degree 16384): sums need neither."
    )
    PRIVATE_CONTEXT = (
        "The context includes a secret key. Serialize it with save_secret_key=False; "
        "the secret key must never leave your device."
    )
    GALOIS_KEYS_PRESENT = "The context includes Galois keys; sums never need them."
    INVALID_PUBLIC_KEY = (
        "Not a TenSEAL CKKS public context (serialized with save_secret_key=False) "
        "nor a SEAL CKKS PublicKey (PublicKey.save())."
    )
    SEAL_PRIVATE_KEY = (
        "This is a SEAL SecretKey. Upload the PublicKey (KeyGenerator.createPublicKey().save()); "
        "the secret key must never leave your device."
    )
    INVALID_PUBLIC_KEY_BASE64 = "he_public_key is not valid base64."
    NOT_CKKS = "The context is not a CKKS context."
    NO_PUBLIC_KEY = "The context has no public key."
    PARAMETERS_NOT_ALLOWED = (
        "The context's parameters are outside the policy published at GET /api/encryption/context."
    )
    NO_KEY = "Upload a public CKKS context first (PUT /api/encryption/public-context)."
    UNKNOWN_KEY_ID = "No key epoch of yours has this key_id."

    INVALID_BASE64 = "encrypted_value is not valid base64."
    CIPHERTEXT_TOO_LARGE = "The ciphertext is larger than {limit} bytes."
    INVALID_CIPHERTEXT = "Not a valid CKKS ciphertext for this key epoch: {reason}."
    FORMAT_MISMATCH = "it is a {got} ciphertext, and this key epoch uses the {expected} format"
    WRONG_PARAMETERS = "The ciphertext was not made with the key epoch's CKKS parameters."
    WRONG_SCALE = "The ciphertext's scale must be 2^{bits}."
    VECTOR_SIZE_MISMATCH = (
        "The ciphertext packs {got} values; earlier values of this metric type pack {expected}."
    )
    VECTOR_TOO_LONG = "The ciphertext packs {got} values; at most {limit} fit in one ciphertext."
    METRIC_REJECTED = "Metric {index}: {reason}"
    DUPLICATE_LOG_ID = "Another metric in this request has the same metric_type and log_id."
    TOO_MANY_METRICS = "Send at most {limit} metrics per request."
    FRAME_BAD_MAGIC = "A binary metrics upload starts with 'RFM1' and a count."
    FRAME_TRUNCATED = "The {what} runs past the end of the body."
    FRAME_HEADER_SIZE = "A metric's header is 1 to {limit} bytes."
    FRAME_BAD_HEADER = (
        "A metric's header is a UTF-8 JSON object of its fields, without encrypted_value."
    )
    FRAME_TRAILING = "Bytes follow the last metric of the frame."

    NO_METRICS = "No stored metrics match this query."
    BAD_TIME_RANGE = "time_range.start must be before time_range.end."
    TOO_MANY_BUCKETS = (
        "The query has {got} non-empty buckets; at most {limit} encrypted results fit in one "
        "answer. Narrow time_range, or use a coarser bucket."
    )
    AGGREGATE_TOO_COSTLY = (
        "The query would read {got} ciphertexts; one request may read at most {limit}. Start "
        "and end time_range at local midnight of the series' time zone (whole days are read "
        "from daily sums), use a coarser bucket, or split the range into several requests."
    )
    AGGREGATE_RESULT_TOO_LARGE = (
        "The encrypted results would take {got} bytes; one answer may carry at most {limit}. "
        "Narrow time_range or use a coarser bucket."
    )
    TIMESTAMP_OUT_OF_RANGE = "timestamp must fall between the years {first} and {last}."


class AnalyticsSchemaTexts:
    """Descriptions of the two ciphertext formats in the OpenAPI schema."""

    PUBLIC_KEY = (
        "Base64 of the public key, in either format, detected from the bytes: a TenSEAL CKKS "
        "context serialized with save_secret_key=False (Python clients), or a raw SEAL "
        "PublicKey.save() (node-seal, native SEAL; any compression mode). Parameters must be "
        "one of GET /api/encryption/context's sets. A secret key is refused "
        "(422 secret_key_present) and never stored."
    )
    CIPHERTEXT = (
        "Base64 of one CKKS ciphertext in the key epoch's format: a serialized TenSEAL "
        "CKKSVector, or a raw SEAL Ciphertext.save() of a fresh public-key encryption "
        "(any compression mode)."
    )
    RESULT = (
        "Base64 of the encrypted result, in the key epoch's format: a TenSEAL CKKSVector "
        "(ts.ckks_vector_from), or a SEAL Ciphertext stamped with the client's SEAL version "
        "that node-seal's Ciphertext.load(context, base64) accepts. Null for count."
    )
    FORMAT = "tenseal (TenSEAL context) or seal (raw SEAL PublicKey)."
    SEAL_VERSION = "major.minor of the SEAL that wrote a raw SEAL key; empty for TenSEAL."
