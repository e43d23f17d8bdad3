"""Row locks the ORM cannot express."""

from typing import Any

from django.db import connection, models

from reflective.lib.db.sql import column, is_postgres, pk_value, table


def key_share_read(model: type[models.Model], pk: Any, field_name: str) -> Any | None:
    """Read one column of a row under FOR KEY SHARE (no lock on SQLite, which has no rows locks).

    KEY SHARE conflicts with FOR UPDATE but not with FOR NO KEY UPDATE, so it holds off a
    writer that locks the row exclusively while plain updates of other columns go on.
    Returns None when the row does not exist.
    """
    suffix = " FOR KEY SHARE" if is_postgres() else ""
    statement = (
        f"SELECT {column(model, field_name)} FROM {table(model)} "
        f"WHERE {column(model, model._meta.pk.name)} = %s{suffix}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [pk_value(model, pk)])
        row = cursor.fetchone()
    return None if row is None else row[0]
