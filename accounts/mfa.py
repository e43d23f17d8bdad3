"""TOTP second factor (RFC 6238, with pyotp): enrolment, login challenges, recovery codes.

Secrets are stored AES-256-GCM encrypted under a key derived (HKDF-SHA256) from
MFA_ENCRYPTION_KEY, with the user id as associated data, so neither a database dump nor a
row copied to another account yields a usable secret. Codes are checked under the factor's
row lock and each accepted code moves ``last_used_step`` forward: a code is good once.
"""

import hashlib
import hmac
import secrets
import time
from functools import cache
from typing import Any, TypedDict

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.credentials import require_password
from accounts.models import RecoveryCode, TotpFactor, User
from reflective.errors import ApiError

STEP_SECONDS = 30
# One step either side: a phone clock 30 s off still works.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CHALLENGE_SALT = "reflective.accounts.mfa-challenge"


class MfaMessages:
    REQUIRED = "This account has a second factor: send a code with mfa_challenge to auth/token/mfa."
    INVALID_CODE = "The code is not valid, or was already used."
    INVALID_CHALLENGE = "The login challenge is invalid or expired. Log in again."
    ALREADY_ENABLED = "A second factor is already enabled; disable it first."
    NOT_PENDING = "Start enrolment first (POST users/me/2fa/totp)."
    NOT_ENABLED = "No second factor is enabled."
    CODE_REQUIRED = "Send code or recovery_code."


class Enrolment(TypedDict):
    secret: str
    otpauth_uri: str


@cache
def _cipher() -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"reflective totp v1")
    return AESGCM(hkdf.derive(settings.MFA_ENCRYPTION_KEY.encode()))


def _seal(secret: str, user: User) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + _cipher().encrypt(nonce, secret.encode(), str(user.pk).encode())


def _open(sealed: bytes | memoryview, user: User) -> str:
    raw = bytes(sealed)
    return _cipher().decrypt(raw[:12], raw[12:], str(user.pk).encode()).decode()


def _invalid_code(status: int) -> ApiError:
    return ApiError("invalid_mfa_code", MfaMessages.INVALID_CODE, status=status)


def mfa_enabled(*, user: User) -> bool:
    return TotpFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def totp_enrol_start(*, user: User, password: str) -> Enrolment:
    """A new pending secret (replacing any earlier pending one); shown to the user once.

    Needs the password: a stolen access token alone must not lock the owner out.
    """
    require_password(user, password, "password")
    if mfa_enabled(user=user):
        raise ApiError("mfa_already_enabled", MfaMessages.ALREADY_ENABLED, status=409)
    secret = pyotp.random_base32()
    TotpFactor.objects.update_or_create(
        user=user,
        defaults={
            "secret_encrypted": _seal(secret, user),
            "confirmed_at": None,
            "last_used_step": 0,
        },
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.MFA_ISSUER)
    return {"secret": secret, "otpauth_uri": uri}


def _matching_step(secret: str, code: str, after_step: int) -> int | None:
    """The step ``code`` was made for, if it is within the window and newer than ``after_step``."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // STEP_SECONDS
    found = None
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and step > after_step:
            found = step
    return found


def _use_totp(factor: TotpFactor, user: User, code: str) -> bool:
    """Accept ``code`` once: the factor row must be locked by the caller."""
    step = _matching_step(_open(factor.secret_encrypted, user), code, factor.last_used_step)
    if step is None:
        return False
    factor.last_used_step = step
    factor.save(update_fields=["last_used_step"])
    return True


def _recovery_hash(code: str) -> str:
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def totp_enrol_confirm(*, user: User, code: str) -> list[str]:
    """Enable the pending factor with its first code; returns ten new recovery codes."""
    with transaction.atomic():
        factor = TotpFactor.objects.select_for_update().filter(user=user).first()
        if factor is None or factor.confirmed_at is not None:
            raise ApiError("mfa_not_pending", MfaMessages.NOT_PENDING, status=409)
        if not _use_totp(factor, user, code):
            raise _invalid_code(403)
        factor.confirmed_at = timezone.now()
        factor.save(update_fields=["confirmed_at"])
        codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=_recovery_hash(code)) for code in codes]
        )
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return used == 1


def second_factor_verify(
    *, user: User, code: str | None, recovery_code: str | None, refused_status: int = 403
) -> None:
    """Accept a fresh TOTP code or an unused recovery code, once; else ``invalid_mfa_code``.

    Call inside ``transaction.atomic``: the factor row stays locked until the caller commits,
    so of two requests with the same code exactly one succeeds. A refusal is 403 for a
    logged-in request (its token is fine) and 401 at login (``refused_status``).
    """
    factor = TotpFactor.objects.select_for_update().filter(user=user).first()
    if factor is None or factor.confirmed_at is None:
        raise ApiError("mfa_not_enabled", MfaMessages.NOT_ENABLED, status=409)
    if code and _use_totp(factor, user, code):
        return
    if recovery_code and _use_recovery_code(user, recovery_code):
        return
    raise _invalid_code(refused_status)


def totp_disable(
    *, user: User, password: str, code: str | None = None, recovery_code: str | None = None
) -> None:
    """Remove the factor and its recovery codes; needs the password and a code."""
    require_password(user, password, "password")
    with transaction.atomic():
        second_factor_verify(user=user, code=code, recovery_code=recovery_code)
        TotpFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def mfa_status(*, user: User) -> dict[str, Any]:
    factor = TotpFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() if factor else 0
    return {
        "totp_enabled": factor is not None,
        "enabled_at": factor.confirmed_at if factor else None,
        "recovery_codes_left": left,
    }


# --- Login challenges --------------------------------------------------------------------
def challenge_issue(*, user: User, device_name: str) -> ApiError:
    """The 401 ``mfa_required`` answer to a right password: a signed, short-lived challenge."""
    challenge = signing.dumps({"u": str(user.pk), "d": device_name}, salt=CHALLENGE_SALT)
    return ApiError(
        "mfa_required",
        MfaMessages.REQUIRED,
        status=401,
        extra={"mfa_challenge": challenge, "expires_in": settings.MFA_CHALLENGE_SECONDS},
    )


def challenge_read(challenge: str) -> tuple[str, str] | None:
    """(user id, device name) of a valid unexpired challenge, else None."""
    try:
        payload = signing.loads(
            challenge, salt=CHALLENGE_SALT, max_age=settings.MFA_CHALLENGE_SECONDS
        )
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    return str(payload.get("u", "")), str(payload.get("d", ""))


def challenge_user(challenge: str) -> tuple[User, str]:
    """The active user a challenge was issued to and its device name; else 401."""
    read = challenge_read(challenge)
    user = User.objects.filter(pk=read[0], is_active=True).first() if read else None
    if read is None or user is None:
        raise ApiError("invalid_mfa_challenge", MfaMessages.INVALID_CHALLENGE, status=401)
    return user, read[1]
