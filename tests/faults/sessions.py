"""Other PostgreSQL sessions than the server's: one that holds a row lock, one that watches.

The fault tests stop a request at a known point inside its transaction by holding a row
lock it needs, and find that request's backend in ``pg_stat_activity``.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

WAIT_SECONDS = 30.0


@contextmanager
def row_locked(
    database_url: str, select_for_update: str, params: tuple[Any, ...]
) -> Iterator[None]:
    """Hold the rows ``select_for_update`` returns locked until the block ends."""
    with psycopg.connect(database_url) as holder:
        rows = holder.execute(select_for_update, params).fetchall()
        assert rows, "the lock query matched no row"
        try:
            yield
        finally:
            holder.rollback()


def _activity(database_url: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url, autocommit=True) as watcher:
        return watcher.execute(sql, params).fetchall()


def backend_waiting_on_lock(
    database_url: str, statement_prefix: str = "", *, other_than: int | None = None
) -> int:
    """The pid of a backend whose statement (starting with ``statement_prefix``) waits on a lock."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        rows = _activity(
            database_url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE %s AND pid <> %s",
            (statement_prefix.replace("%", r"\%") + "%", other_than or 0),
        )
        if rows:
            return int(rows[0][0])
        time.sleep(0.05)
    raise AssertionError(f"no request blocked on a lock in {statement_prefix!r}")


def backend_gone(database_url: str, pid: int) -> None:
    """Wait until the backend ``pid`` has ended (and so rolled back what it had not committed)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if not _activity(database_url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)):
            return
        time.sleep(0.05)
    raise AssertionError(f"backend {pid} is still alive")


def client_backends(database_url: str, *, other_than: int) -> set[int]:
    """The pids of the client sessions on the database, but for ``other_than``."""
    rows = _activity(
        database_url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> %s",
        (other_than,),
    )
    return {int(row[0]) for row in rows}
