"""Sync's part in the account operations: export (ciphertext included) and stats."""

import json

from accounts.models import User
from journal_sync.tests.conftest import unseal, write
from reflective.lib.user_data import user_data


def test_the_export_holds_entries_history_and_conflicts_as_json(alice: User, bob: User) -> None:
    write(alice, "entry-1", "first", device="laptop")
    write(alice, "entry-1", "second", device="laptop", base=1)
    write(alice, "entry-1", "stale", device="phone", base=1)
    write(bob, "bobs", "not alice's")
    sections = {name: list(rows) for name, rows in user_data.export_sections(alice)}
    json.dumps(sections, default=str)
    assert [unseal(row, "entry-1") for row in sections["entries"]] == ["second"]
    assert [unseal(row, "entry-1") for row in sections["entry_revisions"]] == ["first"]
    conflicts = sections["entry_conflicts"]
    assert [unseal(row["local_version"], "entry-1") for row in conflicts] == ["stale"]


def test_stats_report_what_the_server_holds(alice: User) -> None:
    write(alice, "entry-1", "12345")
    write(alice, "entry-2", "text")
    write(alice, "entry-2", "stale", device="phone", base=0)
    stats = user_data.stats(alice)
    assert stats["entry_count"] == 2
    assert stats["open_conflicts"] == 1
    assert stats["bytes_stored"] > 0
