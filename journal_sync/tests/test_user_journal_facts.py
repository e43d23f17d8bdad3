"""The user object carries what the server knows of the journal: entry count and streak."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.serializers import UserProfileOutSerializer
from journal_sync.selectors.summary import streak_length
from journal_sync.services.push import entries_push
from journal_sync.services.versions import EntryWrite
from journal_sync.tests.conftest import seal

TODAY = date(2026, 3, 10)


def _entry_on(user: User, entry_id: str, created_at: datetime) -> None:
    write = EntryWrite(entry_id, "laptop", 0, seal("text", entry_id), created_at=created_at)
    entries_push(user=user, writes=[write])


def test_the_user_object_has_the_documented_fields(api_alice: APIClient) -> None:
    body = api_alice.get("/api/users/me").json()
    assert set(body) == set(UserProfileOutSerializer().fields)
    schema = api_alice.get("/api/schema/", {"format": "json"}).json()
    documented = schema["components"]["schemas"]["UserProfileOut"]["properties"]
    assert {"logs_count", "writing_streak", "total_words_written"} <= set(documented)
    assert documented["total_words_written"]["nullable"] is True


def test_a_new_account_has_no_entries_and_no_streak(api_alice: APIClient) -> None:
    body = api_alice.get("/api/users/me").json()
    assert (body["logs_count"], body["writing_streak"]) == (0, 0)


def test_the_word_total_is_unknown_to_the_server(api_alice: APIClient) -> None:
    body = api_alice.get("/api/users/me").json()
    assert "total_words_written" in body
    assert body["total_words_written"] is None


def test_registration_returns_the_same_user_object(anon: APIClient, db: None) -> None:
    body = anon.post(
        "/api/auth/register",
        {"email": "new@example.com", "password": "a long enough password 1"},
        format="json",
    ).json()
    assert (body["logs_count"], body["writing_streak"], body["total_words_written"]) == (
        0,
        0,
        None,
    )


def test_logs_count_counts_live_entries_only(api_alice: APIClient, alice: User) -> None:
    now = datetime.now(UTC)
    for number in range(3):
        _entry_on(alice, f"entry-{number}", now)
    api_alice.delete("/api/sync/backup/entry-0")
    assert api_alice.get("/api/users/me").json()["logs_count"] == 2


def test_the_streak_follows_entry_dates_in_the_users_time_zone(
    api_alice: APIClient, alice: User
) -> None:
    alice.timezone = "America/Los_Angeles"
    alice.save(update_fields=["timezone"])
    zone = ZoneInfo(alice.timezone)
    today = datetime.now(zone).date()
    # Yesterday 20:00 in Los Angeles is already today in UTC: by UTC dates this is one day.
    _entry_on(alice, "yesterday", datetime.combine(today - timedelta(days=1), time(20), zone))
    _entry_on(alice, "today", datetime.combine(today, time(0, 30), zone))
    assert api_alice.get("/api/users/me").json()["writing_streak"] == 2


def test_another_users_entries_do_not_count(api_alice: APIClient, bob: User) -> None:
    _entry_on(bob, "entry-1", datetime.now(UTC))
    body = api_alice.get("/api/users/me").json()
    assert (body["logs_count"], body["writing_streak"]) == (0, 0)


@pytest.mark.parametrize(
    ("days_ago", "streak"),
    [
        ([0, 1, 2], 3),
        ([1, 2], 2),  # today is not over: yesterday's streak still stands
        ([2, 3], 0),
        ([0, 2, 3], 1),
        ([-1, 0, 1], 2),  # a day ahead of today (a fast device clock) neither counts nor breaks
        ([], 0),
    ],
)
def test_streak_length(days_ago: list[int], streak: int) -> None:
    days = [TODAY - timedelta(days=offset) for offset in days_ago]
    assert streak_length(days, today=TODAY) == streak
