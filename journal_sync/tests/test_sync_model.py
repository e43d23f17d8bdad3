"""Property test of the sync protocol: three devices of one user, random interleavings.

Hypothesis drives pushes (new, current, stale and future base revisions), deletes (with
and without a base), conflict resolutions (local, remote, merged) and cursor pulls through
the real API on the real database. After every step: every acknowledged write is current
or superseded by a later revision, every refused push is kept in its open conflict, and
the acknowledged feed positions are exactly 1..last_seq (no holes). After every pull the
device holds exactly the server's entries; at the end all devices converge on the digest.
"""

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tiers import PrivacyTier
from changefeed.models import SyncState
from conftest import PASSWORD, client_for
from journal_sync.models import EncryptedEntry, EntryConflict
from journal_sync.tests.conftest import b64, payload, pull_all, push

ENTRY_IDS = ["entry-a", "entry-b", "entry-c"]
DEVICES = st.integers(min_value=0, max_value=2)
# None: an old client without base_revision; 0: believes the entry is new; +/-1: stale or
# from the future; the device's own revision is the common case.
BASE_SHIFTS = st.sampled_from([0, 0, 0, -1, 1, "new", None])


@dataclass(frozen=True)
class Version:
    revision: int
    content: str | None  # base64 ciphertext; None for a tombstone


@dataclass(frozen=True)
class Ack:
    entry_id: str
    seq: int
    version: Version


def _server_entries(user: User) -> dict[str, Version]:
    rows = EncryptedEntry.objects.filter(user=user)
    return {
        row.client_id: Version(
            row.revision, None if row.deleted else b64(bytes(row.encrypted_content or b""))
        )
        for row in rows
    }


def _digest(entries: dict[str, Version]) -> str:
    lines = sorted(
        f"{entry_id}:{version.revision}\n".encode()
        for entry_id, version in entries.items()
        if version.content is not None
    )
    return hashlib.sha256(b"".join(lines)).hexdigest()


class ThreeDevices(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.user = User.objects.create_user(
            f"{uuid.uuid4().hex}@example.com", PASSWORD, privacy_tier=PrivacyTier.FULL_SYNC
        )
        self.clients: list[APIClient] = [client_for(self.user) for _ in range(3)]
        self.views: list[dict[str, Version]] = [{}, {}, {}]
        self.cursors: list[str | None] = [None, None, None]
        self.acks: list[Ack] = []
        self.open_conflicts: dict[str, str | None] = {}
        self.edits = 0

    def _note(self, device: int, body: dict[str, Any], content: str | None) -> None:
        version = Version(body["revision"], content)
        self.acks.append(Ack(body["id"], body["seq"], version))
        self.views[device][body["id"]] = version

    @rule(device=DEVICES, entry_id=st.sampled_from(ENTRY_IDS), shift=BASE_SHIFTS)
    def push_edit(self, device: int, entry_id: str, shift: int | str | None) -> None:
        known = self.views[device].get(entry_id)
        base = None
        if shift == "new":
            base = 0
        elif isinstance(shift, int):
            base = max(0, (known.revision if known else 0) + shift)
        self.edits += 1
        body = payload(entry_id, f"edit {self.edits}", device=f"device-{device}", base=base)
        response = push(self.clients[device], body)
        answer = response.json()
        assert response.status_code in (201, 409), answer
        if response.status_code == 409:
            self.open_conflicts[answer["conflict_id"]] = body["encrypted_content"]
        elif answer["status"] == "stored":
            self._note(device, answer, body["encrypted_content"])

    @rule(device=DEVICES, entry_id=st.sampled_from(ENTRY_IDS), with_base=st.booleans())
    def delete(self, device: int, entry_id: str, with_base: bool) -> None:
        params = {"device_id": f"device-{device}"}
        known = self.views[device].get(entry_id)
        if with_base and known is not None:
            params["base_revision"] = str(known.revision)
        response = self.clients[device].delete(f"/api/sync/backup/{entry_id}?{urlencode(params)}")
        answer = response.json()
        assert response.status_code in (200, 404, 409), answer
        if response.status_code == 409:
            self.open_conflicts[answer["conflict_id"]] = None
        elif response.status_code == 200 and answer["status"] == "stored":
            self._note(device, answer, None)

    @rule(
        device=DEVICES,
        choice=st.sampled_from(["local", "remote", "merged"]),
        pick=st.integers(min_value=0, max_value=5),
    )
    def resolve(self, device: int, choice: str, pick: int) -> None:
        listed = self.clients[device].get("/api/sync/conflicts").json()["conflicts"]
        if not listed:
            return
        conflict = listed[pick % len(listed)]
        request: dict[str, Any] = {"chosen_version": choice, "device_id": f"device-{device}"}
        content = self.open_conflicts[conflict["id"]]
        if choice == "merged":
            self.edits += 1
            sealed = payload(conflict["log_id"], f"merge {self.edits}")
            content = sealed["encrypted_content"]
            request |= {
                "final_encrypted_content": content,
                "final_iv": sealed["content_iv"],
                "final_tag": sealed["content_tag"],
            }
        url = f"/api/sync/conflicts/{conflict['id']}/resolve"
        response = self.clients[device].post(url, request, format="json")
        answer = response.json()
        if response.status_code == 409:
            assert answer["code"] == "conflict_stale", answer
            return
        assert response.status_code == 200, answer
        del self.open_conflicts[conflict["id"]]
        if choice != "remote":
            self._note(device, answer, content)

    @rule(device=DEVICES)
    def pull(self, device: int) -> None:
        items, self.cursors[device] = pull_all(self.clients[device], self.cursors[device])
        for item in items:
            content = None if item["deleted"] else item["encrypted_content"]
            self.views[device][item["id"]] = Version(item["revision"], content)
        assert self.views[device] == _server_entries(self.user)

    @invariant()
    def every_acknowledged_write_is_current_or_superseded(self) -> None:
        server = _server_entries(self.user)
        for ack in self.acks:
            current = server[ack.entry_id]
            assert current.revision >= ack.version.revision, ack
            if current.revision == ack.version.revision:
                assert current == ack.version, ack

    @invariant()
    def every_refused_write_waits_in_its_conflict(self) -> None:
        stored = {
            str(conflict.pk): conflict
            for conflict in EntryConflict.objects.filter(user=self.user, resolved_at__isnull=True)
        }
        assert set(stored) == set(self.open_conflicts)
        for conflict_id, content in self.open_conflicts.items():
            kept = stored[conflict_id].local_encrypted_content
            assert (b64(bytes(kept)) if kept is not None else None) == content

    @invariant()
    def acknowledged_feed_positions_have_no_holes(self) -> None:
        state = SyncState.objects.filter(user=self.user).first()
        last_seq = state.last_seq if state else 0
        assert sorted(ack.seq for ack in self.acks) == list(range(1, last_seq + 1))

    def teardown(self) -> None:
        digest = self.clients[0].get("/api/sync/state").json()["digest"]
        for device in range(3):
            self.pull(device)
            assert _digest(self.views[device]) == digest
        assert self.views[0] == self.views[1] == self.views[2]


@pytest.mark.slow
def test_three_devices_converge_and_lose_nothing(db: None) -> None:
    run_state_machine_as_test(
        ThreeDevices,
        settings=settings(
            max_examples=12,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
