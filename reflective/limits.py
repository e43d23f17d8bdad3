"""The numbers that bound what one account or one request may use, read from the environment.

Request and field sizes, page sizes, per-account quotas (docs/SECURITY.md says why each
default) and throttle rates. ``reflective.settings`` takes them all in; code reads them
from ``django.conf.settings`` like any other setting.
"""

from reflective.env import env

# --- Limits (bytes unless named otherwise) -------------------------------------------
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=16 * 1024 * 1024)
METRICS_BODY_MAX_BYTES = env.int("METRICS_BODY_MAX_BYTES", default=64 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = METRICS_BODY_MAX_BYTES
ENTRY_CIPHERTEXT_MAX_BYTES = env.int("ENTRY_CIPHERTEXT_MAX_BYTES", default=1024 * 1024)
SYNC_BATCH_MAX_ITEMS = env.int("SYNC_BATCH_MAX_ITEMS", default=100)
SYNC_PAGE_MAX_ITEMS = env.int("SYNC_PAGE_MAX_ITEMS", default=500)
# How stale a device's last_seen_at may get before a request writes it again.
DEVICE_SEEN_REFRESH_SECONDS = env.int("DEVICE_SEEN_REFRESH_SECONDS", default=60)
SYNC_REVISIONS_KEPT = env.int("SYNC_REVISIONS_KEPT", default=20)
SYNC_TOMBSTONE_RETENTION_DAYS = env.int("SYNC_TOMBSTONE_RETENTION_DAYS", default=90)
HE_PUBLIC_KEY_MAX_BYTES = env.int("HE_PUBLIC_KEY_MAX_BYTES", default=2 * 1024 * 1024)
HE_CIPHERTEXT_MAX_BYTES = env.int("HE_CIPHERTEXT_MAX_BYTES", default=1536 * 1024)
METRICS_MAX_PER_REQUEST = env.int("METRICS_MAX_PER_REQUEST", default=500)
# How deep JSON arrays and objects may nest, in a request body or a stored JSON field.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

# --- Quotas per account (docs/SECURITY.md says why each default) ------------------------
QUOTA_STORAGE_BYTES = env.int("QUOTA_STORAGE_BYTES", default=8 * 1024**3)
QUOTA_ENTRIES = env.int("QUOTA_ENTRIES", default=100_000)
QUOTA_METRICS = env.int("QUOTA_METRICS", default=100_000)
QUOTA_DEVICES = env.int("QUOTA_DEVICES", default=200)
QUOTA_OPEN_CONFLICTS_PER_ENTRY = env.int("QUOTA_OPEN_CONFLICTS_PER_ENTRY", default=16)
QUOTA_KEY_EPOCHS = env.int("QUOTA_KEY_EPOCHS", default=50)
QUOTA_TAGS = env.int("QUOTA_TAGS", default=10_000)

# --- Per-request bounds (memory and CPU) -----------------------------------------------
# Ciphertext bytes one page of entries, history or conflicts carries (at least one item).
SYNC_PAGE_MAX_BYTES = env.int("SYNC_PAGE_MAX_BYTES", default=16 * 1024 * 1024)
# Rows with ciphertext an export holds at once.
EXPORT_ROWS_PER_FETCH = env.int("EXPORT_ROWS_PER_FETCH", default=8)
# Ciphertexts (rollups and raw metrics) one aggregate may read: about 2.3 ms each.
AGGREGATE_MAX_CIPHERTEXTS = env.int("AGGREGATE_MAX_CIPHERTEXTS", default=4000)
AGGREGATE_MAX_BUCKETS = env.int("AGGREGATE_MAX_BUCKETS", default=120)
AGGREGATE_MAX_RESULT_BYTES = env.int("AGGREGATE_MAX_RESULT_BYTES", default=48 * 1024 * 1024)
# Finished sums kept for a repeated aggregate: results up to this size, this many per
# process (memory cache), for this long. 64 x 1 MiB bounds a worker's cache memory.
AGGREGATE_CACHE_MAX_BYTES = env.int("AGGREGATE_CACHE_MAX_BYTES", default=1024 * 1024)
AGGREGATE_CACHE_MAX_ENTRIES = env.int("AGGREGATE_CACHE_MAX_ENTRIES", default=64)
AGGREGATE_CACHE_SECONDS = env.int("AGGREGATE_CACHE_SECONDS", default=3600)

# --- Throttle rates (DRF's DEFAULT_THROTTLE_RATES) --------------------------------------
THROTTLE_RATES = {
    "login_ip": env.str("THROTTLE_LOGIN_IP", default="30/min"),
    "login_account": env.str("THROTTLE_LOGIN_ACCOUNT", default="10/min"),
    "register_ip": env.str("THROTTLE_REGISTER_IP", default="10/hour"),
    # Password confirmations with a valid access token (password change, account
    # deletion, email change): per login session and per account.
    "password_session": env.str("THROTTLE_PASSWORD_SESSION", default="5/min"),
    "password_account": env.str("THROTTLE_PASSWORD_ACCOUNT", default="20/hour"),
    # Second-factor codes (login, enrolment, disabling), per account.
    "mfa_account": env.str("THROTTLE_MFA_ACCOUNT", default="5/min"),
    "mfa_account_hour": env.str("THROTTLE_MFA_ACCOUNT_HOUR", default="20/hour"),
    # Reset and email-change mails: per client IP and per target address.
    "mail_ip": env.str("THROTTLE_MAIL_IP", default="10/hour"),
    "mail_address": env.str("THROTTLE_MAIL_ADDRESS", default="3/hour"),
    # Redeeming a mailed token, per client IP.
    "mail_token_ip": env.str("THROTTLE_MAIL_TOKEN_IP", default="20/hour"),
    # Listing and ending sessions, and reading the second-factor status, per account.
    "security_account": env.str("THROTTLE_SECURITY_ACCOUNT", default="60/min"),
}
