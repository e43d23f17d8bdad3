"""After the load: every device converges on the server's digest, and no write was lost.

An acknowledged write (a stored or unchanged push, a batch item, a delete, a local or
merged resolution) is kept if the entry is now at that revision with those bytes, or at a
later revision whose history still shows that revision with those bytes (the server
keeps the newest SYNC_REVISIONS_KEPT versions; older ones may be trimmed). Two different
writes acknowledged at the same revision of one entry are a lost write too.
"""

import base64
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from load_device import METRIC_TYPE, Ack, Device

from reflective_client.sync import entry_digest

REVISIONS_KEPT = 20
METRIC_TOLERANCE = 1e-2


@dataclass
class Findings:
    acks: int = 0
    kept_current: int = 0
    kept_in_history: int = 0
    superseded_beyond_history: int = 0
    lost: list[str] = field(default_factory=list)
    divergent: list[str] = field(default_factory=list)
    devices_checked: int = 0
    metrics_acked: int = 0
    metrics_counted: int = 0
    open_conflicts: int = 0


@dataclass(frozen=True)
class ServerEntry:
    revision: int
    sha256: str | None  # None for a tombstone


def _server_view(device: Device) -> dict[str, ServerEntry] | None:
    """Every entry of the user from a fresh full pull (no cursor, no device filter)."""
    view: dict[str, ServerEntry] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        response = device.call("GET /sync/backups", "GET", "/api/sync/backups", params=params)
        if response is None or response.status_code != 200:
            return None
        page = response.json()
        for item in page["backups"]:
            sha = None if item["deleted"] else str(item["content_sha256"])
            view[item["id"]] = ServerEntry(int(item["revision"]), sha)
        cursor = page["next_cursor"] or cursor
        if not page["has_more"]:
            return view


def _history(device: Device, entry_id: str) -> dict[int, str | None] | None:
    label = "GET /sync/backups/{id}/revisions"
    response = device.call(label, "GET", f"/api/sync/backups/{entry_id}/revisions")
    if response is None or response.status_code != 200:
        return None
    return {
        int(item["revision"]): None if item["deleted"] else str(item["content_sha256"])
        for item in response.json()["revisions"]
    }


def devices_converge(devices: list[Device], findings: Findings) -> None:
    """Each device pulls to the end; its digest must equal the server's."""
    for device in devices:
        findings.devices_checked += 1
        if not device.pull():
            findings.divergent.append(f"{device.name}: final pull failed")
            continue
        response = device.call("GET /sync/state", "GET", "/api/sync/state")
        if response is None or response.status_code != 200:
            findings.divergent.append(f"{device.name}: /sync/state failed")
            continue
        live = (
            (entry_id, rev) for entry_id, (rev, deleted) in device.replica.items() if not deleted
        )
        if entry_digest(live) != response.json()["digest"]:
            findings.divergent.append(f"{device.name}: digest differs from the server's")


def acks_kept(checker: Device, acks: list[Ack], findings: Findings) -> None:
    """Every acknowledged write of ``checker``'s user is present or properly superseded."""
    view = _server_view(checker)
    if view is None:
        findings.lost.append(f"user {checker.account.index}: could not read the server's entries")
        return
    claimed: dict[tuple[str, int], set[str | None]] = defaultdict(set)
    histories: dict[str, dict[int, str | None] | None] = {}
    for ack in acks:
        findings.acks += 1
        claimed[(ack.entry_id, ack.revision)].add(ack.sha256)
        current = view.get(ack.entry_id)
        if current is None or current.revision < ack.revision:
            findings.lost.append(f"{ack}: server has {current}")
        elif current.revision == ack.revision:
            if current.sha256 != ack.sha256:
                findings.lost.append(f"{ack}: server holds other bytes at that revision")
            else:
                findings.kept_current += 1
        elif ack.revision <= current.revision - REVISIONS_KEPT:
            findings.superseded_beyond_history += 1
        else:
            if ack.entry_id not in histories:
                histories[ack.entry_id] = _history(checker, ack.entry_id)
            kept = histories[ack.entry_id]
            if kept is None or ack.revision not in kept or kept[ack.revision] != ack.sha256:
                findings.lost.append(f"{ack}: not in the kept history")
            else:
                findings.kept_in_history += 1
    for (entry_id, revision), shas in claimed.items():
        if len(shas) > 1:
            findings.lost.append(
                f"{entry_id} revision {revision} acknowledged for {len(shas)} writes"
            )


def metrics_kept(checker: Device, devices: list[Device], findings: Findings) -> None:
    """The server counts every acknowledged metric and its encrypted sum decrypts right."""
    account = checker.account
    acked = sum(device.metrics.count for device in devices)
    sums = [
        sum(column) for column in zip(*(device.metrics.sums for device in devices), strict=True)
    ]
    findings.metrics_acked += acked
    body = {"metric_type": METRIC_TYPE, "operation": "sum"}
    response = checker.call(
        "POST /encryption/aggregate", "POST", "/api/encryption/aggregate", json=body
    )
    if response is None or response.status_code != 200:
        findings.lost.append(f"user {account.index}: aggregate failed")
        return
    result = response.json()
    findings.metrics_counted += int(result["count"])
    values = account.keys.decrypt(base64.b64decode(result["encrypted_result"]))
    if int(result["count"]) != acked:
        findings.lost.append(
            f"user {account.index}: {acked} metrics acknowledged, {result['count']} counted"
        )
    elif any(
        abs(got - want) > METRIC_TOLERANCE * max(1.0, abs(want))
        for got, want in zip(values, sums, strict=True)
    ):
        findings.lost.append(f"user {account.index}: sum {values[:2]} != {sums}")


def open_conflicts(checker: Device, findings: Findings) -> None:
    response = checker.call("GET /sync/conflicts", "GET", "/api/sync/conflicts")
    if response is not None and response.status_code == 200:
        findings.open_conflicts += int(response.json()["total_count"])
