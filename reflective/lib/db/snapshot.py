"""Several reads against one snapshot of the data."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

from reflective.lib.db.sql import is_postgres


@contextmanager
def one_snapshot(alias: str) -> Iterator[None]:
    """Run the reads inside against one snapshot (REPEATABLE READ, READ ONLY on PostgreSQL).

    Between two READ COMMITTED statements a concurrent write could change what the second
    one sees; a page that reads sizes and then rows, or a sum that reads rollups and then
    raw values, must see one state. Inside a transaction already, the caller's holds.
    On SQLite a transaction already reads one state.
    """
    reader = connections[alias]
    if reader.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        if is_postgres(alias):
            with reader.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
