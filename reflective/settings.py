"""Settings for the Reflective server, read from the environment (see .env.example).

Development runs with no environment at all (SQLite, DEBUG on, a throwaway key). With
DEBUG off the server refuses to start without a real SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL, so a production deploy can never run on development defaults.
"""

import sys
from datetime import timedelta

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Two groups live in their own modules and are taken in whole: the database connections
# (DATABASES, DATABASE_ROUTERS, REPLICA_WRITE_POSITION_SECONDS) and the limits, quotas and
# throttle rates. Every setting is still read as ``django.conf.settings.NAME``.
from reflective.databases import *  # noqa: F403
from reflective.env import BASE_DIR, env
from reflective.limits import *  # noqa: F403
from reflective.limits import AGGREGATE_CACHE_MAX_ENTRIES, THROTTLE_RATES

# Lets admin and serializer classes be written with type parameters (ModelAdmin[User]).
django_stubs_ext.monkeypatch()

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
    "lifecycle",
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

CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default="locmemcache://" if TESTING else "dbcache://reflective_cache"
    )
}
# Finished analytics sums (analytics/aggregation/cache.py): in Redis when CACHE_URL names
# one, else in each process's memory. The database cache is not used for them: a 331 KB
# get took 7 ms there, against 0.75 ms from Redis.
CACHES["aggregates"] = (
    CACHES["default"]
    if "redis" in str(CACHES["default"]["BACKEND"]).lower()
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "analytics-aggregates",
        "OPTIONS": {"MAX_ENTRIES": AGGREGATE_CACHE_MAX_ENTRIES},
    }
)

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
    "DEFAULT_RENDERER_CLASSES": ["reflective.lib.renderers.FastJSONRenderer"],
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
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
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
