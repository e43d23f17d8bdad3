"""What the CLI asks a person for: passwords and second-factor codes (or the environment)."""

import getpass
import os


def password(email: str) -> str:
    return os.environ.get("REFLECTIVE_PASSWORD") or getpass.getpass(f"Password for {email}: ")


def new_password() -> str:
    given = os.environ.get("REFLECTIVE_NEW_PASSWORD")
    if given:
        return given
    first = getpass.getpass("New password: ")
    if getpass.getpass("New password again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def second_factor_answer() -> str:
    """A code from the authenticator app, or a recovery code."""
    return os.environ.get("REFLECTIVE_TOTP_CODE") or input(
        "Code from your authenticator app (or a recovery code): "
    )
