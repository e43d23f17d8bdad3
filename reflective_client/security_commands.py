"""CLI commands for account security: `2fa`, `sessions`, `password-reset`."""

import argparse
from typing import TextIO

from reflective_client import prompts
from reflective_client.api import ApiSession
from reflective_client.client import ReflectiveClient
from reflective_client.security import AccountSecurity


def two_factor(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    security = client.security
    if args.action == "status":
        status = security.mfa_status()
        state = "enabled" if status["totp_enabled"] else "not enabled"
        print(f"2fa: {state}, {status['recovery_codes_left']} recovery codes left", file=out)
        return 0
    if args.action == "disable":
        security.totp_disable(prompts.password(client.keys.email), prompts.second_factor_answer())
        print("2fa: disabled", file=out)
        return 0
    started = security.totp_start(prompts.password(client.keys.email))
    print("Add this account to your authenticator app:", file=out)
    print(f"  secret: {started['secret']}", file=out)
    print(f"  uri: {started['otpauth_uri']}", file=out)
    out.flush()
    codes = security.totp_confirm(prompts.second_factor_answer())
    print(
        "2fa: enabled. Recovery codes (each works once; keep them apart from this device):",
        file=out,
    )
    for code in codes:
        print(f"  {code}", file=out)
    return 0


def sessions(client: ReflectiveClient, args: argparse.Namespace, out: TextIO) -> int:
    security = client.security
    if args.revoke:
        security.session_revoke(args.revoke)
        print(f"session {args.revoke}: ended", file=out)
        return 0
    if args.others:
        print(f"ended {security.logout_others()} other sessions", file=out)
        return 0
    for session in security.sessions():
        mark = "*" if session["current"] else " "
        print(
            f"{mark} {session['id']}  {session['device_name'] or '(unnamed)'}  "
            f"created {session['created_at']}  last used {session['last_used_at']}",
            file=out,
        )
    return 0


def password_reset(args: argparse.Namespace, out: TextIO) -> bool:
    """Request a reset mail, or set a new password with its token; True once one is set."""
    security = AccountSecurity(ApiSession(args.server))
    if args.step == "request":
        print(security.password_reset_request(args.email), file=out)
        return False
    if not args.token:
        raise ValueError("password-reset confirm needs the token from the mail")
    security.password_reset_confirm(args.token, prompts.new_password())
    print("password changed; every session was ended, log in again", file=out)
    return True
