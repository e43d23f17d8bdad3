"""Entries and tags draw from one feed: positions are shared, gap-free, in commit order.

A device pulls both feeds with cursors from the same counter, so a position a write takes
and then hands back (a no-op push, a conflict, a repeated delete) must leave no hole, and
one app's prune must be seen by the other app's reader.
"""

import os

import pytest

from accounts.models import User
from changefeed.errors import ResyncRequiredError
from changefeed.feed import feed_cursor, feed_watermark_raise
from journal_sync.models import EncryptedEntry
from journal_sync.selectors.feed import changes_since
from journal_sync.services.push import PushStatus, entries_push
from journal_sync.services.versions import EntryContent, EntryWrite
from tags.models import Tag
from tags.selectors import tag_changes_since
from tags.services import tag_create, tag_delete


def _entry(client_id: str, body: bytes, *, base: int | None = None) -> EntryWrite:
    content = EntryContent(encrypted_content=body, content_iv=b"\x01" * 12)
    return EntryWrite(client_id=client_id, device_id="laptop", base_revision=base, content=content)


def _tag(user: User, name: bytes) -> Tag:
    return tag_create(
        user=user,
        encrypted_name=name + b"\x00" * 16,
        name_iv=os.urandom(12),
        name_digest=name.ljust(32, b"\x00"),
    ).tag


def test_entries_and_tags_share_gap_free_positions(alice: User) -> None:
    first = entries_push(user=alice, writes=[_entry("a", b"one")])[0]
    work = _tag(alice, b"work")
    again = entries_push(user=alice, writes=[_entry("a", b"one")])[0]  # a retry: no position
    stale = entries_push(user=alice, writes=[_entry("a", b"two", base=0)])[0]  # a conflict
    tag_delete(user=alice, tag_id=work.pk)
    tag_delete(user=alice, tag_id=work.pk)  # already a tombstone: no position
    second = entries_push(user=alice, writes=[_entry("b", b"three")])[0]

    assert (again.status, stale.status) == (PushStatus.UNCHANGED, PushStatus.CONFLICT)
    entry_seqs = sorted(EncryptedEntry.objects.filter(user=alice).values_list("seq", flat=True))
    tag_seqs = list(Tag.objects.filter(user=alice).values_list("seq", flat=True))
    assert (first.seq, second.seq) == (1, 4)
    assert sorted(entry_seqs + tag_seqs) == [1, 3, 4]  # the tag's create (2) moved to 3
    assert feed_cursor(user=alice) == 4


def test_a_watermark_raised_for_one_app_sends_both_readers_to_resync(alice: User) -> None:
    entries_push(user=alice, writes=[_entry("a", b"one")])
    _tag(alice, b"home")
    entries_push(user=alice, writes=[_entry("b", b"two")])
    feed_watermark_raise(user_id=alice.pk, seq=3)

    with pytest.raises(ResyncRequiredError):
        changes_since(user=alice, after_seq=1, limit=10)
    with pytest.raises(ResyncRequiredError):
        tag_changes_since(user=alice, cursor=2, limit=10)
    assert changes_since(user=alice, after_seq=3, limit=10).rows == []
