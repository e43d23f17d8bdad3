"""Statements that ask the database about itself: readiness and replication positions."""

from django.db import DEFAULT_DB_ALIAS, connections


def database_answers(alias: str = DEFAULT_DB_ALIAS) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        return bool(cursor.fetchone() == (1,))


def primary_wal_position(alias: str = DEFAULT_DB_ALIAS) -> str:
    """How far the primary has written its WAL, as PostgreSQL's ``X/Y`` text."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (position,) = cursor.fetchone()
    return str(position)


def replica_has_replayed(alias: str, position: str) -> bool:
    """Has the database behind ``alias`` replayed ``position`` (or stopped being a replica)?"""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn",
            [position],
        )
        return bool(cursor.fetchone()[0])
