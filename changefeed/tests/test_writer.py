"""The feed's writer, watermark and resync error, tested on the feed itself.

The apps test these through their endpoints; here the invariants are pinned where they
live, so a change to the feed shows up as a failure of the feed and not of some endpoint.
"""

import pytest
from django.db import transaction

from accounts.models import User
from accounts.tiers import PrivacyTier, TierRequiredError
from changefeed.errors import ResyncRequiredError
from changefeed.feed import (
    FeedPosition,
    feed_cursor,
    feed_cursor_check,
    feed_forget_all,
    feed_position,
    feed_watermark_raise,
    feed_write_open,
)

RESYNC = "pull again"


def _write(user: User, positions: int) -> list[int]:
    with transaction.atomic():
        feed = feed_write_open(user=user, required_tier=PrivacyTier.FULL_SYNC)
        taken = [feed.take() for _ in range(positions)]
        feed.settle()
        return taken


def test_a_writer_hands_out_consecutive_positions_however_many_it_takes(alice: User) -> None:
    assert _write(alice, 1) == [1]
    assert _write(alice, 3) == [2, 3, 4]
    assert _write(alice, 0) == []
    assert _write(alice, 2) == [5, 6]
    assert feed_cursor(user=alice) == 6


def test_a_writer_below_its_tier_is_refused_before_taking_a_position(
    alice: User, charlie: User
) -> None:
    with pytest.raises(TierRequiredError), transaction.atomic():
        feed_write_open(user=charlie, required_tier=PrivacyTier.FULL_SYNC)
    assert feed_cursor(user=charlie) == 0


def test_the_watermark_only_rises(alice: User) -> None:
    _write(alice, 5)
    feed_watermark_raise(user_id=alice.pk, seq=4)
    feed_watermark_raise(user_id=alice.pk, seq=2)
    assert feed_position(user=alice) == FeedPosition(last_seq=5, pruned_seq=4)


def test_forgetting_everything_sends_every_old_cursor_to_resync(alice: User) -> None:
    _write(alice, 3)
    with transaction.atomic():
        feed_forget_all(user=alice)
    position = feed_position(user=alice)
    assert position == FeedPosition(last_seq=3, pruned_seq=3)
    with pytest.raises(ResyncRequiredError):
        feed_cursor_check(cursor=2, position=position, detail=RESYNC)
    feed_cursor_check(cursor=3, position=position, detail=RESYNC)


@pytest.mark.parametrize(
    ("cursor", "refused"),
    [(0, False), (3, True), (4, False), (9, False), (10, True)],
)
def test_a_cursor_outside_the_kept_history_must_resync(cursor: int, refused: bool) -> None:
    position = FeedPosition(last_seq=9, pruned_seq=4)
    if not refused:
        feed_cursor_check(cursor=cursor, position=position, detail=RESYNC)
        return
    with pytest.raises(ResyncRequiredError) as raised:
        feed_cursor_check(cursor=cursor, position=position, detail=RESYNC)
    error = raised.value
    assert (error.code, error.status, error.detail) == ("resync_required", 410, RESYNC)
    assert error.extra == {"cursor_seq": cursor, "oldest_seq": 4}
