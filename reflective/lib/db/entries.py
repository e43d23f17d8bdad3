"""Hand-written statements of encrypted sync's push path, retention and quota checks.

Each one is written out because it runs on every push or because the ORM would move
ciphertext through the application for nothing; the docstrings say what each saves. The
models come in as arguments: an entry model keyed by ``user`` and ``client_id``, its
history model (``entry``, ``revision``) and its conflict model (``entry``,
``remote_revision``, ``resolved_at``).
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from reflective.lib.db.sql import column, table

ModelT = TypeVar("ModelT", bound=models.Model)


def _user_key(model: type[models.Model], user_pk: Any) -> Any:
    default = connections[DEFAULT_DB_ALIAS]  # not the proxy: one thread-local lookup less
    return model._meta.get_field("user").get_db_prep_value(user_pk, default)  # type: ignore[union-attr]


@cache
def _heads_select(model: type[models.Model], fields: tuple[str, ...]) -> tuple[list[str], str]:
    # Model.from_db takes a partial row in the model's field order.
    names = [field.attname for field in model._meta.concrete_fields if field.attname in fields]
    columns = ", ".join(column(model, name) for name in names)
    statement = (
        f"SELECT {columns} FROM {table(model)} "
        f"WHERE {column(model, 'user')} = %s AND {column(model, 'client_id')} IN"
    )
    return names, statement


def heads_read(
    model: type[ModelT], user_pk: Any, client_ids: Sequence[str], fields: tuple[str, ...]
) -> list[ModelT]:
    """The user's rows with these client ids, as deferred instances holding ``fields`` only.

    Every push runs this, so the statement is written once per model rather than compiled
    by the ORM per request; the rows come back as ordinary model instances.
    """
    if not client_ids:
        return []
    names, select = _heads_select(model, fields)
    placeholders = ", ".join(["%s"] * len(client_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"{select} ({placeholders})", [_user_key(model, user_pk), *client_ids])
        rows = cursor.fetchall()
    return [model.from_db(connection.alias, names, row) for row in rows]


def versions_archive(
    entry_model: type[models.Model],
    history_model: type[models.Model],
    entry_pks: Sequence[Any],
    fields: Sequence[str],
) -> None:
    """Copy the current versions of these entries into their history, inside the database.

    INSERT ... SELECT keeps up to a megabyte of ciphertext per entry from travelling to
    the application and back just to be archived. ``fields`` name the columns both models
    share; the history row's ``entry`` is the entry's primary key.
    """
    if not entry_pks:
        return
    target = ", ".join(column(history_model, name) for name in fields)
    source = ", ".join(column(entry_model, name) for name in fields)
    placeholders = ", ".join(["%s"] * len(entry_pks))
    entry_pk = column(entry_model, entry_model._meta.pk.name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(history_model)} ({column(history_model, 'entry')}, {target}) "
            f"SELECT {entry_pk}, {source} FROM {table(entry_model)} "
            f"WHERE {entry_pk} IN ({placeholders})",
            list(entry_pks),
        )


def user_rows_delete(model: type[models.Model], user_pk: Any) -> int:
    """DELETE every row of the user in one statement; returns how many.

    The ORM would first load every row (ciphertext included) into memory to cascade; the
    caller deletes the children explicitly first.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table(model)} WHERE {column(model, 'user')} = %s",
            [_user_key(model, user_pk)],
        )
        return int(cursor.rowcount)


def user_sizes_sum(sized_models: Sequence[type[models.Model]], user_pk: Any) -> int:
    """The sum of ``size_bytes`` over the user's rows of every model, in one statement.

    One statement rather than one ORM aggregate per model: every quota-checked push runs it.
    """
    parts = " UNION ALL ".join(
        f"SELECT {column(model, 'size_bytes')} AS size_bytes FROM {table(model)} "
        f"WHERE {column(model, 'user')} = %s"
        for model in sized_models
    )
    keys = [_user_key(model, user_pk) for model in sized_models]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(size_bytes), 0) FROM ({parts}) sizes", keys)
        return int(cursor.fetchone()[0])


def history_overflow_ids(
    history_model: type[models.Model], conflict_model: type[models.Model], kept: int
) -> list[Any]:
    """Ids of history rows beyond the newest ``kept - 1`` of their entry (the current
    version lives in the entry), except those an open conflict shows as its remote version.

    A window function ranks every entry's history in one pass, which the ORM cannot filter on.
    """
    entry, revision = column(history_model, "entry"), column(history_model, "revision")
    history_pk = column(history_model, history_model._meta.pk.name)
    statement = (
        f"SELECT {history_pk} FROM (SELECT {history_pk}, ROW_NUMBER() OVER "
        f"(PARTITION BY {entry} ORDER BY {revision} DESC) AS newer, {entry}, {revision} "
        f"FROM {table(history_model)}) ranked WHERE newer >= %s AND NOT EXISTS (SELECT 1 FROM "
        f"{table(conflict_model)} conflict WHERE "
        f"conflict.{column(conflict_model, 'entry')} = ranked.{entry} "
        f"AND conflict.{column(conflict_model, 'remote_revision')} = ranked.{revision} "
        f"AND conflict.{column(conflict_model, 'resolved_at')} IS NULL)"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [kept])
        return [row[0] for row in cursor.fetchall()]
