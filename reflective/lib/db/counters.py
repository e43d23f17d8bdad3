"""Per-account counters raised by one upsert inside a write's transaction."""

from functools import cache
from typing import Any

from django.db import connection, models

from reflective.lib.db.sql import column, pk_value, table


@cache
def _bound_raise_sql(bound_model: type[models.Model]) -> str:
    name, user = table(bound_model), column(bound_model, "user")
    bound = column(bound_model, "bytes_at_most")
    return (
        f"INSERT INTO {name} ({user}, {bound}) VALUES (%s, NULL) "
        f"ON CONFLICT ({user}) DO UPDATE SET {bound} = {name}.{bound} + %s "
        f"RETURNING {bound}"
    )


def bound_raise(
    bound_model: type[models.Model], user_model: type[models.Model], *, user_pk: Any, adding: int
) -> int | None:
    """Add ``adding`` to the user's ``bytes_at_most`` and return the new value.

    One upsert instead of a locked read and a write: a row created here starts unknown
    (NULL, which stays NULL when added to), and the statement's row lock holds until the
    caller's transaction commits, so concurrent writes of the same account queue on it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_bound_raise_sql(bound_model), [pk_value(user_model, user_pk), adding])
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])
