"""One simulated device: a thread with its own HTTP session, replica and ledger of acks.

A device keeps what a real client keeps (the revision it last saw of every entry, its feed
cursor) and records every write the server acknowledged, so the checks can later prove
that none was lost.
"""

import base64
import hashlib
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from common import entry_body
from load_report import Recorder

from reflective_client.crypto import CkksKeys

TIMEOUT_SECONDS = 120.0
PAGE_LIMIT = 200
METRIC_TYPE = "load_pack"
HOT_ENTRIES = 8  # per user, edited by all its devices, so edits collide
CONFLICT_CODES = frozenset({"conflict"})
RESOLVE_CODES = frozenset({"conflict_stale", "conflict_resolved"})
ACTION_WEIGHTS = {
    "push": 30,
    "batch": 8,
    "pull": 25,
    "stale_pair": 8,
    "resolve_open": 6,
    "delete": 3,
    "metrics_upload": 6,
    "aggregate": 6,
}


@dataclass(frozen=True)
class Ack:
    """A write the server acknowledged: ``sha256`` of the stored ciphertext, None for a delete."""

    user: int
    entry_id: str
    revision: int
    sha256: str | None
    via: str


@dataclass(frozen=True)
class StaleEdit:
    entry_id: str
    base_revision: int
    origin: str


@dataclass
class Account:
    """One user, shared by its device threads."""

    index: int
    token: str
    keys: CkksKeys
    pool: list[tuple[str, list[float]]]  # base64 CKKS ciphertexts and their plaintexts
    devices: int
    stale: list[StaleEdit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stale_offer(self, edit: StaleEdit) -> None:
        with self.lock:
            self.stale.append(edit)

    def stale_take(self, device: str) -> StaleEdit | None:
        """An edit another device made stale (any device's, when the user has only one)."""
        with self.lock:
            for position, edit in enumerate(self.stale):
                if edit.origin != device or self.devices == 1:
                    return self.stale.pop(position)
        return None


def hot_id(user: int, number: int) -> str:
    return f"u{user}-hot-{number}"


def content_sha256(body: dict[str, Any], field_name: str = "encrypted_content") -> str:
    return hashlib.sha256(base64.b64decode(body[field_name])).hexdigest()


@dataclass
class MetricTally:
    count: int = 0
    sums: list[float] = field(default_factory=lambda: [0.0, 0.0])


class Device:
    def __init__(self, account: Account, number: int, base: str, seed: int) -> None:
        self.account = account
        self.name = f"load-u{account.index}-d{number}"
        self.base = base
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {account.token}"
        self.replica: dict[str, tuple[int, bool]] = {}  # id -> (revision, deleted)
        self.cursor: str | None = None
        self.created = 0
        self.acks: list[Ack] = []
        self.metrics = MetricTally()
        self.outcomes: Counter[str] = Counter()
        self.recorder = Recorder()

    # --- HTTP ----------------------------------------------------------------------
    def call(
        self, label: str, method: str, path: str, allowed: frozenset[str] = frozenset(), **kw: Any
    ) -> requests.Response | None:
        """One timed request; a non-2xx answer whose code is not in ``allowed`` is noted."""
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=TIMEOUT_SECONDS, **kw)
        except requests.RequestException as error:
            self.recorder.transport_errors[type(error).__name__] += 1
            return None
        self.recorder.answered(label, response.status_code, (time.perf_counter() - started) * 1e3)
        if response.status_code >= 300 and _code(response) not in allowed:
            self.recorder.unexpected.append(f"{label} {response.status_code} {_code(response)}")
        return response

    # --- the loop ------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        try:
            self._loop(stop)
        except Exception as error:  # noqa: BLE001 - a device that dies must fail the run
            self.recorder.unexpected.append(f"{self.name} stopped: {error!r}")

    def _loop(self, stop: threading.Event) -> None:
        actions = list(ACTION_WEIGHTS)
        weights = list(ACTION_WEIGHTS.values())
        while not stop.is_set():
            edit = self.account.stale_take(self.name)
            if edit is not None:
                self.stale_conflict(edit)
                continue
            getattr(self, self.rng.choices(actions, weights)[0])()

    # --- entries -------------------------------------------------------------------
    def _new_id(self) -> str:
        self.created += 1
        return f"{self.name}-{self.created}"

    def _known_id(self) -> str | None:
        if not self.replica:
            return None
        if self.rng.random() < 0.5:
            candidate = hot_id(self.account.index, self.rng.randrange(HOT_ENTRIES))
            if candidate in self.replica:
                return candidate
        return self.rng.choice(list(self.replica))

    def _target(self) -> tuple[str, int]:
        """A new entry (base 0) or an edit of a known one from the revision this device saw."""
        known = self._known_id() if self.rng.random() < 0.6 else None
        if known is None:
            return self._new_id(), 0
        return known, self.replica[known][0]

    def _body(self, entry_id: str, base_revision: int) -> dict[str, Any]:
        size = self.rng.choice((512, 2048, 8192))
        return entry_body(entry_id, self.name, base_revision=base_revision, text_bytes=size)

    def _acked(self, entry_id: str, revision: int, sha256: str | None, via: str) -> None:
        self.acks.append(Ack(self.account.index, entry_id, revision, sha256, via))
        self.replica[entry_id] = (revision, sha256 is None)

    def _push(self, body: dict[str, Any]) -> requests.Response | None:
        response = self.call(
            "POST /sync/backup", "POST", "/api/sync/backup", CONFLICT_CODES, json=body
        )
        if response is not None and response.status_code == 201:
            self._acked(body["id"], int(response.json()["revision"]), content_sha256(body), "push")
        return response

    def push(self) -> None:
        """Push one entry; on a conflict, half the time resolve it at once, as a client would."""
        body = self._body(*self._target())
        response = self._push(body)
        if response is not None and response.status_code == 409:
            self.outcomes["conflict (edits crossed)"] += 1
            if self.rng.random() < 0.5:
                conflict_id = str(response.json()["conflict_id"])
                self._resolve_listed(conflict_id, body["id"], content_sha256(body))

    def batch(self) -> None:
        size = self.rng.randint(5, 25)
        edits = {self._known_id() for _ in range(size // 2)} - {None}
        targets = [(entry_id, self.replica[entry_id][0]) for entry_id in edits if entry_id]
        targets += [(self._new_id(), 0) for _ in range(size - len(targets))]
        self._batch(targets)

    def hot_entries_create(self) -> None:
        """The entries every device of the user edits, so that their edits collide."""
        self._batch([(hot_id(self.account.index, n), 0) for n in range(HOT_ENTRIES)])

    def _batch(self, targets: list[tuple[str, int]]) -> None:
        items = [self._body(entry_id, base) for entry_id, base in targets]
        response = self.call("POST /sync/batch", "POST", "/api/sync/batch", json={"items": items})
        if response is None or response.status_code != 200:
            return
        for item, result in zip(items, response.json()["results"], strict=True):
            if result["status"] in ("stored", "unchanged"):
                self._acked(item["id"], int(result["revision"]), content_sha256(item), "batch")
            elif result["status"] == "conflict":
                self.outcomes["conflict (edits crossed)"] += 1
            else:
                self.recorder.unexpected.append(
                    f"batch item {result['status']} {result.get('error')}"
                )

    def delete(self) -> None:
        entry_id = self._known_id()
        if entry_id is None or self.replica[entry_id][1]:
            return
        params = {"device_id": self.name, "base_revision": self.replica[entry_id][0]}
        path = f"/api/sync/backup/{entry_id}"
        response = self.call(
            "DELETE /sync/backup/{id}", "DELETE", path, CONFLICT_CODES, params=params
        )
        if response is not None and response.status_code == 200:
            self._acked(entry_id, int(response.json()["revision"]), None, "delete")
        elif response is not None and response.status_code == 409:
            self.outcomes["conflict (edits crossed)"] += 1

    def pull(self) -> bool:
        """Pull to the end of the feed; False when a request failed."""
        while True:
            params: dict[str, Any] = {"limit": PAGE_LIMIT, "device_id": self.name}
            if self.cursor:
                params["cursor"] = self.cursor
            response = self.call("GET /sync/backups", "GET", "/api/sync/backups", params=params)
            if response is None or response.status_code != 200:
                return False
            page = response.json()
            for item in page["backups"]:
                self.replica[item["id"]] = (int(item["revision"]), bool(item["deleted"]))
            self.cursor = page["next_cursor"] or self.cursor
            if not page["has_more"]:
                return True

    # --- conflicts -----------------------------------------------------------------
    def stale_pair(self) -> None:
        """Edit an entry and leave its old base for a sibling, who will then conflict."""
        entry_id = self._known_id()
        if entry_id is None:
            return
        base = self.replica[entry_id][0]
        response = self._push(self._body(entry_id, base))
        if response is not None and response.status_code == 201 and _stored(response):
            self.account.stale_offer(StaleEdit(entry_id, base, self.name))

    def stale_conflict(self, edit: StaleEdit) -> None:
        """Push from a base another device already moved past: it must be a conflict."""
        body = self._body(edit.entry_id, edit.base_revision)
        response = self.call(
            "POST /sync/backup", "POST", "/api/sync/backup", CONFLICT_CODES, json=body
        )
        if response is None:
            return
        if response.status_code != 409:
            self.recorder.unexpected.append(f"stale base accepted: {response.status_code}")
            return
        self.outcomes["conflict (deliberate, stale base)"] += 1
        conflict_id = str(response.json()["conflict_id"])
        self._resolve_listed(conflict_id, edit.entry_id, content_sha256(body))

    def _resolve_listed(self, conflict_id: str, entry_id: str, local_sha: str) -> None:
        """Find the conflict in the user's open ones and resolve it (any way) if still open."""
        listed = self.call("GET /sync/conflicts", "GET", "/api/sync/conflicts")
        if listed is None or listed.status_code != 200:
            return
        if all(item["id"] != conflict_id for item in listed.json()["conflicts"]):
            self.outcomes["conflict resolved by a sibling first"] += 1
            return
        choice = self.rng.choice(("local", "merged", "remote"))
        self.resolve(conflict_id, entry_id, choice, local_sha)

    def resolve_open(self) -> None:
        """Resolve one of the user's open conflicts, as any of its devices may."""
        listed = self.call("GET /sync/conflicts", "GET", "/api/sync/conflicts")
        if listed is None or listed.status_code != 200 or not listed.json()["conflicts"]:
            return
        conflict = self.rng.choice(listed.json()["conflicts"][:5])
        local = conflict["local_version"]
        local_sha = None if local["deleted"] else content_sha256(local)
        # "local" takes the conflict's local version at resolve time; its device may have
        # replaced it since the listing (a retried push updates the open conflict), so only
        # that device itself knows for sure which bytes "local" writes.
        own = conflict["device_id"] == self.name
        choice = self.rng.choice(("local", "remote", "merged") if own else ("remote", "merged"))
        self.resolve(str(conflict["id"]), str(conflict["log_id"]), choice, local_sha)

    def resolve(self, conflict_id: str, entry_id: str, choice: str, local_sha: str | None) -> None:
        body: dict[str, Any] = {"chosen_version": choice, "device_id": self.name}
        written_sha = local_sha
        if choice == "merged":
            merged = self._body(entry_id, 0)
            body |= {
                "final_encrypted_content": merged["encrypted_content"],
                "final_iv": merged["content_iv"],
                "final_tag": merged["content_tag"],
            }
            written_sha = content_sha256(merged)
        label = "POST /sync/conflicts/{id}/resolve"
        path = f"/api/sync/conflicts/{conflict_id}/resolve"
        response = self.call(label, "POST", path, RESOLVE_CODES, json=body)
        if response is None:
            return
        code = _code(response) if response.status_code == 409 else "ok"
        self.outcomes[f"resolve {choice}: {code}"] += 1
        if response.status_code == 200 and choice != "remote":
            self._acked(entry_id, int(response.json()["revision"]), written_sha, "resolve")
        elif code == "conflict_stale":
            self.resolve(conflict_id, entry_id, "remote", None)

    # --- metrics -------------------------------------------------------------------
    def metrics_upload(self) -> None:
        chosen = self.rng.sample(self.account.pool, self.rng.randint(1, 2))
        now = datetime.now(UTC)
        items = [
            {
                "metric_type": METRIC_TYPE,
                "encrypted_value": ciphertext,
                "timestamp": (now - timedelta(hours=self.rng.uniform(0, 24 * 7))).isoformat(),
                "key_id": self.account.keys.key_id,
            }
            for ciphertext, _values in chosen
        ]
        label = "POST /encryption/metrics"
        response = self.call(label, "POST", "/api/encryption/metrics", json={"metrics": items})
        if response is not None and response.status_code == 201:
            self.metrics.count += len(chosen)
            for _ciphertext, values in chosen:
                self.metrics.sums = [a + b for a, b in zip(self.metrics.sums, values, strict=True)]

    def aggregate(self) -> None:
        body: dict[str, Any] = {"metric_type": METRIC_TYPE, "operation": "sum"}
        if self.rng.random() < 0.5:
            # Metrics are stamped within the last 7 days, so this range always has some.
            start = datetime.now(UTC) - timedelta(days=14)
            body |= {"bucket": "week", "time_range": {"start": start.isoformat()}}
        self.call("POST /encryption/aggregate", "POST", "/api/encryption/aggregate", json=body)


def _stored(response: requests.Response) -> bool:
    return bool(response.json()["status"] == "stored")


def _code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "not_json"
    return str(body.get("code", "")) if isinstance(body, dict) else "not_json"
