"""Transaction-scoped advisory locks: serialize work that has no row to lock yet."""

from django.db import connection

from reflective.lib.db.sql import is_postgres


def advisory_xact_lock(name: str) -> None:
    """Hold a lock named ``name`` until the current transaction ends (PostgreSQL only).

    For two writers that would both insert the same first row: neither can lock a row that
    does not exist. SQLite serializes writers by itself, so there it does nothing.
    """
    if not is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
