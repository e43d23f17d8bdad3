"""Reading ciphertext columns fast.

The ORM fetches bytea through PostgreSQL's text protocol (hex, then decoded in Python): about
2.8 ms per 331 KB ciphertext. A binary psycopg cursor on the same connection and transaction
takes about 0.65 ms, which matters when a query sums hundreds of them.
"""

from collections.abc import Iterable, Iterator

import psycopg
from django.db import connection, models

# Rows per round trip: a client-side cursor holds a whole result in memory at once.
CHUNK_ROWS = 32


def ciphertexts_by_id(model: type[models.Model], ids: Iterable[int]) -> Iterator[tuple[int, bytes]]:
    """Yield (id, ciphertext) for the given primary keys of ``model``, in no particular order."""
    wanted = sorted(set(ids))
    for first in range(0, len(wanted), CHUNK_ROWS):
        yield from _chunk(model, wanted[first : first + CHUNK_ROWS])


def _chunk(model: type[models.Model], wanted: list[int]) -> Iterator[tuple[int, bytes]]:
    if connection.vendor != "postgresql":
        rows = model._default_manager.filter(pk__in=wanted).values_list("pk", "ciphertext")
        for pk, blob in rows:
            yield pk, bytes(blob)
        return
    connection.ensure_connection()
    table = model._meta.db_table
    raw = connection.connection
    assert raw is not None
    # Django's own cursors bind client-side, which cannot return binary rows.
    with psycopg.Cursor(raw) as cursor:
        sql = f"SELECT id, ciphertext FROM {table} WHERE id = ANY(%s)"
        cursor.execute(sql, [wanted], binary=True)
        for pk, blob in cursor:
            yield pk, bytes(blob)
