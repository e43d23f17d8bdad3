"""Bearer-token authentication that also checks the token's login session is live."""

from functools import cache
from typing import Any

from django.db import connection
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from accounts.models import AuthSession, User
from accounts.tokens import session_id_of


@cache
def _user_columns() -> tuple[str, ...]:
    return tuple(field.attname for field in User._meta.concrete_fields)


@cache
def _user_converters(vendor: str) -> list[tuple[int, list[Any], Any]]:
    """What the ORM would apply to each column read (JSON, and types SQLite lacks)."""
    converters = []
    for index, field in enumerate(User._meta.concrete_fields):
        column = field.get_col(User._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return converters


def _user_from_row(row: tuple[Any, ...]) -> User:
    values = list(row)
    for index, converters, column in _user_converters(connection.vendor):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return User.from_db(connection.alias, list(_user_columns()), values)


@cache
def _live_session_user_sql() -> str:
    """The user of a live session, in one fixed statement.

    Every authenticated request runs it, so it is written once instead of being compiled
    by the ORM per request (that compilation was a sixth of a push's CPU).
    """
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(column)}" for column in _user_columns())
    return (
        f"SELECT {columns} FROM {quote(User._meta.db_table)} u "
        f"JOIN {quote(AuthSession._meta.db_table)} s ON s.user_id = u.id "
        "WHERE s.id = %s AND s.revoked_at IS NULL AND u.is_active"
    )


def live_session_user(session_id: str) -> User | None:
    """The active user whose session ``session_id`` is not revoked, else None."""
    key = AuthSession._meta.pk.get_db_prep_value(session_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(_live_session_user_sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    return _user_from_row(row)


def request_user(request: Request) -> User:
    """The account a request was authenticated as (for views that require a login)."""
    user = request.user
    assert isinstance(user, User)
    return user


class SessionJWTAuthentication(JWTAuthentication):
    """One query per request: the session joined with its user."""

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        session_id = session_id_of(validated_token)
        if session_id is None:
            raise InvalidToken("Token has no session.")
        user = live_session_user(session_id)
        if user is None:
            raise AuthenticationFailed("Session revoked.", code="session_revoked")
        return user
