"""``python -m reflective_client``: the reference client on the command line.

    python -m reflective_client --as you@example.com register
    python -m reflective_client --as you@example.com write "Walked to the lake."
    python -m reflective_client --as you@example.com entries
    python -m reflective_client --as you@example.com insights --bucket week
    python -m reflective_client --as you@example.com 2fa enable
    python -m reflective_client --as you@example.com sessions --others
    python -m reflective_client --as you@example.com password-reset request

The server is ``--server`` (or ``REFLECTIVE_SERVER_URL``, default http://127.0.0.1:8000);
the keys come from the account's key file (see docs/CLIENT.md). A password is read from
``REFLECTIVE_PASSWORD`` or asked for, and only when there is no stored login; a second-factor
code from ``REFLECTIVE_TOTP_CODE`` or asked for; a new password from ``REFLECTIVE_NEW_PASSWORD``.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import requests

from reflective_client import commands, keyfile, prompts, security_commands
from reflective_client.account import TIERS
from reflective_client.api import DEFAULT_SERVER_URL, ServerError
from reflective_client.client import ReflectiveClient
from reflective_client.crypto import DecryptionError
from reflective_client.keyfile import KeyFileError, KeyMaterial
from reflective_client.security import second_factor_body


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reflective_client", description="Reflective reference client."
    )
    parser.add_argument(
        "--server", default=os.environ.get("REFLECTIVE_SERVER_URL", DEFAULT_SERVER_URL)
    )
    parser.add_argument("--as", dest="email", required=True, help="the account's email")
    parser.add_argument("--key-file", type=Path, help="default: the account's file under XDG")
    sub = parser.add_subparsers(dest="command", required=True)
    register = sub.add_parser("register", help="create the account and a new key file")
    register.add_argument("--tier", choices=TIERS, default="local_only")
    sub.add_parser("keygen", help="new key file for an existing account (old data unreadable)")
    sub.add_parser("login", help="log in and remember the session in the key file")
    sub.add_parser("logout", help="end the stored session")
    sub.add_parser("status", help="tier, sync state and whether this device has everything")
    sub.add_parser("tier", help="change the privacy tier").add_argument("tier", choices=TIERS)
    write = sub.add_parser("write", help="write or replace an entry (text or stdin)")
    write.add_argument("--id", dest="entry_id", help="entry id; a new one when absent")
    write.add_argument("text", nargs="?", help="the entry; read from stdin when absent")
    sub.add_parser("delete", help="delete an entry").add_argument("entry_id")
    sub.add_parser("entries", help="pull and print every entry, decrypted")
    sub.add_parser("conflicts", help="list open conflicts, decrypted")
    resolve = sub.add_parser("resolve", help="resolve a conflict")
    resolve.add_argument("conflict_id")
    resolve.add_argument("choice", choices=("local", "remote", "merged"))
    resolve.add_argument("--text", help="the merged text (for 'merged')")
    two_factor = sub.add_parser("2fa", help="the TOTP second factor")
    two_factor.add_argument("action", choices=("enable", "disable", "status"))
    sessions = sub.add_parser("sessions", help="list login sessions, or end some")
    sessions.add_argument("--revoke", metavar="SESSION_ID", help="end this session")
    sessions.add_argument("--others", action="store_true", help="end every other session")
    reset = sub.add_parser("password-reset", help="reset a forgotten password by mail")
    reset.add_argument("step", choices=("request", "confirm"))
    reset.add_argument("token", nargs="?", help="for confirm: the token from the mail")
    sub.add_parser("tags", help="list tags, decrypted")
    sub.add_parser("tag", help="create (or touch) a tag").add_argument("name")
    insights = sub.add_parser("insights", help="aggregate encrypted metrics and decrypt")
    insights.add_argument("--metric", default="word_count")
    insights.add_argument("--operation", choices=("sum", "average", "count"), default="sum")
    insights.add_argument("--bucket", choices=("day", "week", "month"))
    insights.add_argument("--timezone", help="IANA zone for buckets (default: the account's)")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = build_parser().parse_args(argv)
    path: Path = args.key_file or keyfile.key_path(args.email)
    try:
        if args.command in ("register", "keygen"):
            return _create_keys(args, path, out)
        if args.command == "password-reset":
            if security_commands.password_reset(args, out) and path.exists():
                keyfile.save(keyfile.load(path).with_refresh_token(None), path)  # it was ended
            return 0
        client = _open_session(args, path)
        if args.command in SECURITY_COMMANDS:
            return SECURITY_COMMANDS[args.command](client, args, out)
        if args.command == "logout":
            client.api.logout()
            keyfile.save(keyfile.load(path).with_refresh_token(None), path)
            return 0
        return commands.run(client, args, out)
    except KeyFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ServerError as error:
        print(f"error: {error.status} {error.code}: {error.detail}", file=sys.stderr)
        return 1
    except DecryptionError:
        print(
            f"error: data on the server does not decrypt with the key file {path}", file=sys.stderr
        )
        return 2
    except requests.ConnectionError:
        print(f"error: cannot reach the server at {args.server}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _create_keys(args: argparse.Namespace, path: Path, out: TextIO) -> int:
    if path.exists():
        raise KeyFileError(f"{path} already exists; move it away first to make new keys.")
    keys = KeyMaterial.generate(args.email)
    client = _client(args, keys, path)
    password = prompts.password(args.email)
    if args.command == "register":
        client.api.register(args.email, password)
    keyfile.save(keys, path)  # before login, so the stored session has a file to go into
    client.login(password)
    print(f"keys written to {path} (back this file up: nobody can recover it)", file=out)
    if args.command == "register" and args.tier != "local_only":
        client.account.set_tier(args.tier)
        print(f"tier: {args.tier}", file=out)
    if args.command == "keygen" and client.account.privacy()["current_tier"] != "local_only":
        # A new key epoch: later metrics are under the new key; older ones stay unreadable.
        client.insights.rekey(client.insights.keys)
        print("uploaded the new public CKKS context (a new key epoch)", file=out)
    return 0


def _open_session(args: argparse.Namespace, path: Path) -> ReflectiveClient:
    keys = keyfile.load(path)
    client = _client(args, keys, path)
    if args.command == "login" or not keys.refresh_token:
        client.login(prompts.password(args.email), second_factor=_second_factor)
    else:
        client.api.use_refresh_token(keys.refresh_token)
    return client


def _client(args: argparse.Namespace, keys: KeyMaterial, path: Path) -> ReflectiveClient:
    client = ReflectiveClient(keys, args.server)

    def remember(refresh_token: str) -> None:
        # Refresh tokens rotate on every use: keep the newest, or the next run is logged out.
        keyfile.save(keyfile.load(path).with_refresh_token(refresh_token), path)

    client.api.on_refresh = remember
    return client


def _second_factor() -> dict[str, str]:
    return second_factor_body(prompts.second_factor_answer())


SECURITY_COMMANDS = {"2fa": security_commands.two_factor, "sessions": security_commands.sessions}
