"""The database connections: the primary, an optional read replica, and their pooling."""

from reflective.env import BASE_DIR, env

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
