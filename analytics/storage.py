"""Reading ciphertext columns fast.

The ORM fetches bytea through PostgreSQL's text protocol (hex, then decoded in Python): about
2.8 ms per 331 KB ciphertext. A binary psycopg cursor on the same connection and transaction
takes about 0.65 ms, which matters when a query sums hundreds of them.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from reflective.lib.replicas import reading_alias

# Rows per round trip: a client-side cursor holds a whole result in memory at once.
CHUNK_ROWS = 32


def ciphertexts_by_id(model: type[models.Model], ids: Iterable[int]) -> Iterator[tuple[int, bytes]]:
    """Yield (id, ciphertext) for the given primary keys of ``model``, in no particular order."""
    wanted = sorted(set(ids))
    for first in range(0, len(wanted), CHUNK_ROWS):
        yield from _chunk(model, wanted[first : first + CHUNK_ROWS])


def _chunk(model: type[models.Model], wanted: list[int]) -> Iterator[tuple[int, bytes]]:
    reader = connections[reading_alias()]  # the replica, when the request may read it
    if reader.vendor != "postgresql":
        rows = model._default_manager.filter(pk__in=wanted).values_list("pk", "ciphertext")
        for pk, blob in rows:
            yield pk, bytes(blob)
        return
    table = model._meta.db_table
    # Django's own cursors bind client-side, which cannot return binary rows.
    with psycopg.Cursor(_raw_connection(reader.alias)) as cursor:
        sql = f"SELECT id, ciphertext FROM {table} WHERE id = ANY(%s)"
        cursor.execute(sql, [wanted], binary=True)
        for pk, blob in cursor:
            yield pk, bytes(blob)


def _raw_connection(alias: str = DEFAULT_DB_ALIAS) -> psycopg.Connection[Any]:
    connections[alias].ensure_connection()
    raw = connections[alias].connection
    assert isinstance(raw, psycopg.Connection)
    return raw


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return connection.ops.quote_name(field.column)


def ciphertext_rows_insert(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert rows carrying ciphertext, sending the bytes as binary parameters.

    Django binds parameters client-side, which escapes 331 KB of bytes into the SQL text;
    server-side binding sends them as they are, several times faster.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows])
        return
    names = list(rows[0])
    columns = ", ".join(_column(model, name) for name in names)
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({placeholders})"
    with psycopg.Cursor(_raw_connection()) as cursor:
        for row in rows:
            cursor.execute(sql, tuple(row[name] for name in names))


def ciphertext_row_update(model: type[models.Model], pk: int, values: dict[str, Any]) -> None:
    """Update one row's ciphertext (and other columns) with binary parameters."""
    if connection.vendor != "postgresql":
        model._default_manager.filter(pk=pk).update(**values)
        return
    names = list(values)
    assignments = ", ".join(f"{_column(model, name)} = %s" for name in names)
    sql = f"UPDATE {model._meta.db_table} SET {assignments} WHERE id = %s"
    with psycopg.Cursor(_raw_connection()) as cursor:
        cursor.execute(sql, [*(values[name] for name in names), pk])
