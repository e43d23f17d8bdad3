"""Row locks the ORM cannot express."""

from typing import Any, Literal

from django.db import connection, models

from reflective.lib.db.sql import column, is_postgres, table

# FOR KEY SHARE conflicts with FOR UPDATE but not with FOR NO KEY UPDATE: it holds off a
# writer that locks the row exclusively while plain updates of other columns go on.
RowLock = Literal["UPDATE", "KEY SHARE"]


def locked_row_read(
    model: type[models.Model], *, where: str, key: Any, fields: tuple[str, ...], lock: RowLock
) -> tuple[Any, ...] | None:
    """``fields`` of the row whose ``where`` field is ``key``, locked ``FOR <lock>``.

    None when there is no such row. SQLite has no row locks: its writers already hold the
    whole database, so the read takes none there.
    """
    suffix = f" FOR {lock}" if is_postgres() else ""
    columns = ", ".join(column(model, name) for name in fields)
    statement = f"SELECT {columns} FROM {table(model)} WHERE {column(model, where)} = %s{suffix}"
    value = model._meta.get_field(where).get_db_prep_value(key, connection)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(statement, [value])
        row = cursor.fetchone()
    return None if row is None else tuple(row)
