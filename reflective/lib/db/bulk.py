"""Fixed SQL for the bulk statements every sync request runs.

The ORM compiles each query anew per request, which was most of a single push's CPU.
These helpers write the statement text once per model (and row count) and still let the
model fields convert values, so the rows are what the ORM itself would write.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from psycopg import ClientCursor
from psycopg.pq import Format

from reflective.lib.db.snapshot import one_snapshot
from reflective.lib.db.sql import column, is_postgres, quoted, table


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
    # The connection itself, not the proxy: each field asks it for its operations, and the
    # proxy's thread-local lookup was a third of turning a pushed entry into parameters.
    default = connections[DEFAULT_DB_ALIAS]
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), default)
        for instance in instances
        for field in fields
    ]
    with default.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(instances)), params)


def bytes_fit(sizes: Sequence[int], limit: int, budget: int) -> int:
    """How many of the first ``limit`` sizes fit in ``budget`` bytes (at least one)."""
    used = 0
    for taken, size in enumerate(sizes[:limit]):
        used += size
        if taken and used > budget:
            return taken
    return min(len(sizes), limit)


def byte_page_fetch(
    queryset: models.QuerySet[Any],
    fields: Sequence[str],
    *,
    key: str,
    size: str,
    limit: int,
    budget: int,
) -> tuple[list[tuple[Any, ...]], bool]:
    """A page of ``queryset`` in ``key`` order: ``limit`` rows at most, fewer once their
    ``size`` passes ``budget`` (``bytes_fit``); and whether more rows follow.

    The rows are tuples of ``fields`` in order: turning a 500-row page into answers took
    5.2 ms with a dict per row and takes 3.9 ms without (the garbage collector included).

    The sizes are read first and only the rows that fit are read whole, from one snapshot.
    On PostgreSQL that is one statement (a running sum over the sizes, then the rows
    joined by primary key), which takes 1 round trip where a REPEATABLE READ transaction
    around two reads took 5 (BEGIN, SET TRANSACTION, sizes, rows, COMMIT). The rows come
    back in binary: ciphertext as raw bytes instead of hex text (half the bytes, no
    encoding on either side), timestamps parsed by psycopg's own loader instead of
    Django's Python one (a third of a page's CPU), aware, in the session's zone, UTC.
    """
    alias = queryset.db
    if not is_postgres(alias):
        return _byte_page_two_reads(queryset, fields, key, size, limit, budget)
    model = queryset.model
    sized = queryset.order_by(key).values_list("pk", key, size)[: limit + 1]
    sized_sql, params = sized.query.get_compiler(alias).as_sql()
    columns = ", ".join(f"page_row.{column(model, name, alias)}" for name in fields)
    statement = (
        f"SELECT {columns}, sized.sized_count FROM (SELECT page_pk, page_key, "
        "row_number() OVER running AS page_number, sum(page_size) OVER running AS page_used, "
        f"count(*) OVER () AS sized_count FROM ({sized_sql}) AS sizes (page_pk, page_key, "
        "page_size) WINDOW running AS (ORDER BY page_key)) AS sized "
        f"JOIN {table(model, alias)} AS page_row "
        f"ON page_row.{column(model, model._meta.pk.name, alias)} = sized.page_pk "
        "WHERE sized.page_number <= %s AND (sized.page_number = 1 OR sized.page_used <= %s) "
        "ORDER BY sized.page_number"
    )
    with connections[alias].cursor() as cursor:
        if not isinstance(cursor.cursor, ClientCursor):
            # DB_SERVER_SIDE_BINDING=false: client-side cursors only return text rows.
            cursor.cursor.format = Format.BINARY
        cursor.execute(statement, [*params, limit, budget])
        rows = cursor.fetchall()
    if not rows:
        return [], False
    return [row[:-1] for row in rows], int(rows[0][-1]) > len(rows)


def _byte_page_two_reads(
    queryset: models.QuerySet[Any],
    fields: Sequence[str],
    key: str,
    size: str,
    limit: int,
    budget: int,
) -> tuple[list[tuple[Any, ...]], bool]:
    with one_snapshot(queryset.db):
        sized = list(queryset.order_by(key).values_list(key, size)[: limit + 1])
        count = bytes_fit([row_size for _, row_size in sized], limit, budget)
        if count == 0:
            return [], False
        last = sized[count - 1][0]
        rows = queryset.filter(**{f"{key}__lte": last}).order_by(key)[:count]
        return list(rows.values_list(*fields)), len(sized) > count
