"""What each CLI command does once a logged-in client exists. Output is for people."""

import argparse
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from reflective_client.analytics import entry_metrics
from reflective_client.client import ReflectiveClient
from reflective_client.crypto import DecryptionError

Command = Callable[[ReflectiveClient, argparse.Namespace, TextIO], int]


def run(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    return COMMANDS[args.command](client, args, out)


def login(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    print(f"logged in as {client.keys.email}", file=out)
    return 0


def status(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    privacy = client.account.privacy()
    tier = privacy["current_tier"]
    print(f"account: {client.keys.email}  tier: {tier}  device: {client.keys.device_id}", file=out)
    server_key = privacy.get("analytics_key_id")
    if server_key is None:
        where = "none on the server"
    elif server_key == client.insights.keys.key_id:
        where = "this key file's"
    else:
        where = "ANOTHER key (metrics under it cannot be decrypted here)"
    print(f"analytics key: {where}", file=out)
    if tier == "full_sync":
        state = client.journal.server_state()
        print(
            f"entries on server: {state['entry_count']} ({state['bytes_stored']} bytes)", file=out
        )
        try:
            client.journal.pull()
        except DecryptionError:
            print("entries: NOT readable with this key file", file=out)
            return 0
        in_step = state["digest"] == client.journal.digest()
        print(f"this device has {'everything' if in_step else 'a different set'}", file=out)
    return 0


def tier(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    result = client.account.set_tier(args.tier)
    deleted = {key: value for key, value in result.items() if key.startswith("deleted_") and value}
    print(f"tier: {args.tier}", file=out)
    for key, value in sorted(deleted.items()):
        print(f"  {key}: {value}", file=out)
    return 0


def write(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    text = args.text if args.text is not None else sys.stdin.read()
    entry_id = args.entry_id or f"entry-{secrets.token_hex(8)}"
    client.journal.pull()  # edit from the newest revision this account has
    result = client.journal.write(entry_id, text)
    if result.status == "conflict":
        print(f"conflict {result.conflict_id}: see `conflicts`, then `resolve`", file=out)
        return 1
    print(f"{entry_id}: {result.status}, revision {result.revision}", file=out)
    if client.account.privacy()["features_available"].get("analytics_sync"):
        client.insights.upload(entry_metrics(text, datetime.now(UTC), entry_id))
    return 0


def delete(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    client.journal.delete(args.entry_id)
    print(f"{args.entry_id}: deleted", file=out)
    return 0


def entries(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    client.journal.pull()
    live = sorted(client.journal.live(), key=lambda entry: entry.updated_at)
    for entry in live:
        print(f"== {entry.id}  (revision {entry.revision}, {entry.updated_at})", file=out)
        print(entry.text, file=out)
        print(file=out)
    print(_plural(len(live), "entry", "entries"), file=out)
    return 0


def conflicts(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    found = client.journal.conflicts()
    for conflict in found:
        print(f"== conflict {conflict.id} on {conflict.entry_id}", file=out)
        for label, version in (("local", conflict.local), ("remote", conflict.remote)):
            print(f"-- {label} (device {version.device_id}):", file=out)
            print(version.text if version.text is not None else "(deleted)", file=out)
    print(_plural(len(found), "open conflict"), file=out)
    return 0


def resolve(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    matching = [c for c in client.journal.conflicts() if c.id == args.conflict_id]
    if not matching:
        print(f"no open conflict {args.conflict_id}", file=out)
        return 1
    client.journal.resolve(matching[0], args.choice, args.text)
    print(f"conflict {args.conflict_id}: resolved with {args.choice}", file=out)
    return 0


def tags(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    for tag in client.tags.list():
        print(f"{tag.color}  {tag.name}  (last used {tag.last_used_at})", file=out)
    return 0


def tag(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    created = client.tags.add(args.name)
    print(f"{created.name}: {created.id} {created.color}", file=out)
    return 0


def insights(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    result = client.insights.aggregate(
        args.metric, args.operation, bucket=args.bucket, timezone=args.timezone
    )
    label = f"{args.operation} of {args.metric}"
    if not args.bucket:
        over = _plural(result.count, "value")
        print(f"{label}: {_number(result.values, args)} over {over}", file=out)
        return 0
    print(f"{label} by {args.bucket}:", file=out)
    for bucket in result.buckets:
        value = _number(bucket.values, args)
        print(f"  {bucket.start[:10]}  {value:>10}  ({_plural(bucket.count, 'value')})", file=out)
    return 0


def _number(values: list[float] | None, args: argparse.Namespace) -> str:
    if args.operation == "count" or not values:
        return "-"
    if args.operation == "sum" and args.metric == "word_count":
        return str(round(values[0]))  # a sum of counts is whole once CKKS noise is rounded
    return f"{values[0]:.3f}"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


COMMANDS: dict[str, Command] = {
    "login": login,
    "status": status,
    "tier": tier,
    "write": write,
    "delete": delete,
    "entries": entries,
    "conflicts": conflicts,
    "resolve": resolve,
    "tags": tags,
    "tag": tag,
    "insights": insights,
}
