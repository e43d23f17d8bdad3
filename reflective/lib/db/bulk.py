"""Fixed SQL for the bulk statements every sync request runs.

The ORM compiles each query anew per request, which was most of a single push's CPU.
These helpers write the statement text once per model (and row count) and still let the
model fields convert values, so the rows are what the ORM itself would write.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, connections, models
from psycopg import ClientCursor
from psycopg.pq import Format

from reflective.lib.db.sql import is_postgres, quoted, table


@cache
def _insert_fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    # The database numbers the auto primary key; every other column is written.
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


@cache
def _insert_sql(model: type[models.Model], rows: int) -> str:
    fields = _insert_fields(model)
    columns = ", ".join(quoted(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = ", ".join([row] * rows)
    return f"INSERT INTO {table(model)} ({columns}) VALUES {values}"


def rows_insert(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """INSERT fully built instances in one statement; their primary keys stay unset.

    For models whose primary key is an auto field, when nothing reads the new keys back.
    """
    if not instances:
        return
    fields = _insert_fields(model)
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for instance in instances
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(instances)), params)


def values_fetch(queryset: models.QuerySet[Any], fields: Sequence[str]) -> list[dict[str, Any]]:
    """``list(queryset.values(*fields))`` for pages of hundreds of rows.

    On PostgreSQL the rows come back in binary format: ciphertext arrives as raw bytes
    instead of hex text (half the bytes, no encoding on either side), and timestamps
    are parsed by psycopg's own loader instead of Django's Python one (a third of a feed
    page's CPU), as aware datetimes in the session's zone, UTC.
    """
    reader = connections[queryset.db]  # the replica, when the router chose it
    if not is_postgres(queryset.db):
        return list(queryset.values(*fields))
    sql, params = queryset.values_list(*fields).query.get_compiler(queryset.db).as_sql()
    with reader.cursor() as cursor:
        if isinstance(cursor.cursor, ClientCursor):
            # DB_SERVER_SIDE_BINDING=false: client-side cursors cannot return binary rows.
            return list(queryset.values(*fields))
        cursor.cursor.format = Format.BINARY
        cursor.execute(sql, params)
        return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]
