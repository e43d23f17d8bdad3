"""Settings for the Reflective server, read from the environment (see .env.example).

Development runs with no environment at all (SQLite, DEBUG on, a throwaway key). With
DEBUG off the server refuses to start without a real SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL, so a production deploy can never run on development defaults.
"""

import sys
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

# Lets admin and serializer classes be written with type parameters (ModelAdmin[User]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# Under pytest: fast password hashing and a per-process cache (settings load before conftest).
TESTING = env.bool("REFLECTIVE_TESTING", default="pytest" in sys.modules)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
# /metrics answers only requests with "Authorization: Bearer <METRICS_TOKEN>". Without a token
# it answers only this machine (loopback), and only in development: in production a proxy on
# the same host would make every visitor look local.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_LOOPBACK_WITHOUT_TOKEN = DEBUG


def _require_production_settings() -> None:
    if DEBUG:
        return
    missing = [
        name
        for name, ok in (
            ("SECRET_KEY", len(SECRET_KEY) >= 50 and SECRET_KEY != _DEV_SECRET_KEY),
            ("ALLOWED_HOSTS", bool(ALLOWED_HOSTS)),
            ("DATABASE_URL", "DATABASE_URL" in env.ENVIRON),
            (
                "METRICS_TOKEN (32+ characters, or none)",
                not METRICS_TOKEN or len(METRICS_TOKEN) >= 32,
            ),
        )
        if not ok
    ]
    if missing:
        raise ImproperlyConfigured(
            "DEBUG is off: set a real " + ", ".join(missing) + " (see .env.example)."
        )


_require_production_settings()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so that runserver serves static files the way gunicorn does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "changefeed",
    "journal_sync",
    "analytics",
    "tags",
]

MIDDLEWARE = [
    "reflective.lib.observability.RequestObservabilityMiddleware",
    "reflective.lib.response_release.ResponseReleaseMiddleware",
    "reflective.lib.body_limit.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "reflective.lib.replicas.WriteRecorderMiddleware",
]

ROOT_URLCONF = "reflective.urls"
WSGI_APPLICATION = "reflective.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'reflective.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# Off by default: the check is a round trip before every request's first query. Without it
# a connection the database dropped (a restart) fails one request per worker with a 503,
# and the next request reconnects.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _statement_timeout_ms = env.int("DB_STATEMENT_TIMEOUT_MS", default=30_000)
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={_statement_timeout_ms}"
    )
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=5)
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = env.bool(
        "DB_SERVER_SIDE_BINDING", default=True
    )
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# --- Scaling out: a read replica and a connection pool (docs/SCALING.md) ---------------
# DATABASE_URL may list several hosts (postgres://u@h1:5432,h2:5432/db?target_session_attrs=
# read-write): libpq then connects to whichever is the primary, so a failover needs no
# restart. DATABASE_REPLICA_URL (optional) is a streaming replica for read-heavy views;
# without it every read goes to the primary.
DATABASE_ROUTERS = ["reflective.lib.replicas.PrimaryReplicaRouter"]
# How long a user's last write position is kept; a replica further behind than this
# would serve that user's reads from before it (size it well above any expected lag).
REPLICA_WRITE_POSITION_SECONDS = env.int("REPLICA_WRITE_POSITION_SECONDS", default=3600)
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL") | {
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": DATABASES["default"]["CONN_HEALTH_CHECKS"],
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"].setdefault("OPTIONS", {}).update(
        {
            key: value
            for key, value in DATABASES["default"]["OPTIONS"].items()
            if key in ("options", "connect_timeout", "server_side_binding")
        }
    )
# Django's own psycopg pool per worker process (instead of one kept connection each), for
# when no pgbouncer stands in front of PostgreSQL. It replaces CONN_MAX_AGE.
if env.bool("DB_POOL", default=False):
    for _alias in DATABASES:
        DATABASES[_alias]["CONN_MAX_AGE"] = 0
        DATABASES[_alias]["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
            "timeout": env.int("DB_POOL_TIMEOUT", default=10),
        }

CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default="locmemcache://" if TESTING else "dbcache://reflective_cache"
    )
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files (the admin's, the API docs') come from the app server itself, through
# WhiteNoise: in development straight from the installed apps, in production from
# collectstatic's STATIC_ROOT, compressed (gzip, brotli) under content-hashed names that
# browsers may cache forever.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.SessionJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "reflective.lib.parsers.BoundedJSONParser",
        "reflective.lib.parsers.CharsetCheckedFormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "reflective.lib.openapi.ApiAutoSchema",
    "EXCEPTION_HANDLER": "reflective.errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": None,
    # Client IPs for throttling: X-Forwarded-For is trusted only behind this many proxies.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
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
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Reflective server API",
    "DESCRIPTION": (
        "Zero-knowledge sync and encrypted analytics for the Reflective journal. Entries, "
        "tag names and metric values reach the server already encrypted; binary fields are "
        "base64; every error is {code, detail, fields?}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the pinned drf-spectacular-sidecar package, served as static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"PrivacyTierEnum": "accounts.tiers.PrivacyTier"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "reflective.lib.openapi.add_error_responses",
    ],
}

ACCESS_TOKEN_MINUTES = env.int("ACCESS_TOKEN_MINUTES", default=30)
REFRESH_TOKEN_DAYS = env.int("REFRESH_TOKEN_DAYS", default=14)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Account security ------------------------------------------------------------------
# The key the TOTP secrets are encrypted under (HKDF-derived). Changing it disables every
# second factor's codes: users then sign in with a recovery code and enrol again.
MFA_ENCRYPTION_KEY = env.str("MFA_ENCRYPTION_KEY", default=SECRET_KEY)
MFA_ISSUER = env.str("MFA_ISSUER", default="Reflective")
MFA_CHALLENGE_SECONDS = env.int("MFA_CHALLENGE_SECONDS", default=300)
PASSWORD_RESET_MINUTES = env.int("PASSWORD_RESET_MINUTES", default=30)
EMAIL_CHANGE_HOURS = env.int("EMAIL_CHANGE_HOURS", default=24)
# Where the links in mails point; the token is appended as ?token=...
PASSWORD_RESET_URL = env.str("PASSWORD_RESET_URL", default="http://127.0.0.1:8000/reset-password")
EMAIL_CHANGE_URL = env.str("EMAIL_CHANGE_URL", default="http://127.0.0.1:8000/confirm-email")

# --- Mail: EMAIL_URL (smtp://user:password@host:587, smtp+tls://..., consolemail://) ------
# The console backend prints mails (and the tokens in them) to stdout: development only.
# Without EMAIL_URL in production, no mail is sent (reset and email change cannot finish).
_EMAIL_DEFAULT = "memorymail://" if TESTING else "consolemail://" if DEBUG else "dummymail://"
globals().update(env.email_url("EMAIL_URL", default=_EMAIL_DEFAULT))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Reflective <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Mails go out on a thread after the response, so the time of a reset request does not say
# whether the address has an account. Tests send them inline.
EMAIL_SEND_IN_BACKGROUND = env.bool("EMAIL_SEND_IN_BACKGROUND", default=not TESTING)

CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS",
    default=["http://localhost:5173", "http://127.0.0.1:5173"] if DEBUG else [],
)
CORS_URLS_REGEX = r"^/api/.*$"

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

# --- Security headers (production) ----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^api/health", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logging: one JSON line per request, never a body, token or password -------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "reflective.lib.observability.JsonLogFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own request logger repeats what the access line says and may carry
        # exception text; the access line and the error handler cover it.
        "django.request": {"handlers": ["console"], "level": "CRITICAL", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
