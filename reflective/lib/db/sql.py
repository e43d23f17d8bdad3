"""Identifier quoting and vendor checks: the only way statements in this package are composed."""

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


def is_postgres(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """True on PostgreSQL; the embedded SQLite default takes the plainer path."""
    return bool(connections[alias].vendor == "postgresql")


def quoted(name: str, alias: str = DEFAULT_DB_ALIAS) -> str:
    return str(connections[alias].ops.quote_name(name))


def table(model: type[models.Model], alias: str = DEFAULT_DB_ALIAS) -> str:
    """The model's table name, quoted for the database behind ``alias``."""
    return quoted(model._meta.db_table, alias)


def column(model: type[models.Model], field_name: str, alias: str = DEFAULT_DB_ALIAS) -> str:
    """The quoted column behind a model field (``field_name`` as the model spells it)."""
    return quoted(model._meta.get_field(field_name).column, alias)  # type: ignore[union-attr,arg-type]


def pk_value(model: type[models.Model], pk: Any, alias: str = DEFAULT_DB_ALIAS) -> Any:
    """A primary key as the database takes it (a UUID becomes text on SQLite)."""
    return model._meta.pk.get_db_prep_value(pk, connections[alias])
