"""The device upsert every synced write and pull may run."""

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, models

from reflective.lib.db.sql import column, pk_value, table


@cache
def _device_upsert_sql(device_model: type[models.Model]) -> str:
    """Written once per process: the ORM has no single-statement upsert that returns nothing
    and would compile ``update_or_create``'s two or three statements on every request.
    """
    user, device = column(device_model, "user"), column(device_model, "device_id")
    first, last = column(device_model, "first_seen_at"), column(device_model, "last_seen_at")
    return (
        f"INSERT INTO {table(device_model)} ({user}, {device}, {first}, {last}) "
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({user}, {device}) "
        f"DO UPDATE SET {last} = EXCLUDED.{last}"
    )


def device_seen_upsert(
    device_model: type[models.Model],
    user_model: type[models.Model],
    *,
    user_pk: Any,
    device_id: str,
    seen_at: datetime,
) -> None:
    """Create the (user, device) row seen first and last at ``seen_at``, or move its last
    sighting to ``seen_at``: one statement, no read first.
    """
    seen = device_model._meta.get_field("last_seen_at").get_db_prep_save(seen_at, connection)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            _device_upsert_sql(device_model),
            [pk_value(user_model, user_pk), device_id, seen, seen],
        )
