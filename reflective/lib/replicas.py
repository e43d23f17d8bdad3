"""Reads from a streaming replica that never show a user less than they wrote.

With ``DATABASE_REPLICA_URL`` set, the views that only read and read a lot (pull pages,
revisions, the export, aggregates) may read from the ``replica`` database. Everything else
reads the primary, as it does without a replica at all:

- After any request that may have written (an unsafe method on a view that is not one of
  those readers), ``WriteRecorderMiddleware`` stores the primary's WAL position in the cache
  (Redis when ``CACHE_URL`` names one, so every app node sees it), keyed by user.
- Before a reader view runs, ``replica_reads_begin`` asks the replica whether it has replayed
  past that position. Only then does the request read from it; otherwise, or when the
  replica cannot be reached, it reads from the primary. GitLab's database load balancing
  works the same way.
- Anything inside a transaction on the primary (every write, ``GET /sync/state``'s snapshot)
  reads the primary, whatever the request.

One request reads from one server: a pull takes the feed position and the rows it covers
from the same database, so a lagging replica can only make a page shorter, never skip a
write. See docs/SCALING.md.
"""

import logging
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request

from reflective.lib.db.probes import primary_wal_position, replica_has_replayed

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Stored when the primary cannot say where it stands: no replica has replayed this far, so
# the user reads the primary until a later write records a real position.
PAST_ANY_REPLICA = "FFFFFFFF/FFFFFFFF"

logger = logging.getLogger("reflective.replicas")

_read_alias: ContextVar[str] = ContextVar("read_alias", default=DEFAULT_DB_ALIAS)
_reader_view: ContextVar[bool] = ContextVar("reader_view", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reading_alias() -> str:
    """The database this request reads: the primary inside any transaction on it."""
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return _read_alias.get()


class PrimaryReplicaRouter:
    """Writes and migrations go to the primary; reads go where ``reading_alias`` says."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return reading_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # both aliases hold the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def _position_key(user_id: object) -> str:
    return f"replicas:write-lsn:{user_id}"


def write_position_record(user_id: object) -> None:
    """Remember how far the primary's WAL had got after this user's latest write."""
    try:
        position = primary_wal_position()
    except DatabaseError:
        position = PAST_ANY_REPLICA
    try:
        cache.set(_position_key(user_id), position, settings.REPLICA_WRITE_POSITION_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the write is done; its answer must not fail
        # Readers cannot reach the cache either, and then they read the primary.
        logger.warning("replicas: write position not recorded", extra={"error": type(exc).__name__})


def _recorded_position(user_id: object) -> str | None:
    """The user's last write position; None when the cache cannot be read (read the primary)."""
    try:
        return str(cache.get(_position_key(user_id)) or "0/0")
    except Exception as exc:  # noqa: BLE001 - an unreadable cache means: read the primary
        logger.warning("replicas: write position unknown", extra={"error": type(exc).__name__})
        return None


def replica_caught_up(user_id: object) -> bool:
    """Has the replica replayed the user's last write (or is it a primary by now)?

    A replica promoted by a failover is no longer in recovery and serves its own writes.
    An unreachable replica is simply not caught up: the request reads the primary.
    """
    position = _recorded_position(user_id)
    if position is None:
        return False
    try:
        return replica_has_replayed(REPLICA, position)
    except DatabaseError:
        connections[REPLICA].close()
        return False


def replica_reads_begin(user_id: object) -> str:
    """Choose the database a reader view reads for this user; returns the alias chosen."""
    _reader_view.set(True)
    alias = REPLICA if replica_configured() and replica_caught_up(user_id) else DEFAULT_DB_ALIAS
    _read_alias.set(alias)
    return alias


class ReplicaReadsMixin:
    """For DRF views that only read: after authentication, read the replica if it is safe.

    The view must not write: its requests record no write position.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        replica_reads_begin(request.user.pk)


class WriteRecorderMiddleware:
    """Starts every request on the primary; records the WAL position after possible writes.

    The choice of database lives until the next request starts (not until the view
    returns), so a streamed export reads where its view decided.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _read_alias.set(DEFAULT_DB_ALIAS)
        _reader_view.set(False)
        response: HttpResponse = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            replica_configured()
            and request.method not in SAFE_METHODS
            and not _reader_view.get()
            and user is not None
            and user.is_authenticated
        ):
            write_position_record(user.pk)
        return response
