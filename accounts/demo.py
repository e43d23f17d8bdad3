"""The four demo accounts (DESIGN.md §8)."""

from django.conf import settings
from django.db import transaction

from accounts.models import User, normalize_email
from accounts.tiers import PrivacyTier
from reflective.errors import ApiError

DEMO_USERS: list[tuple[str, str, str]] = [
    ("test@example.com", "testpass123", PrivacyTier.FULL_SYNC),
    ("love@food.com", "foodlover123", PrivacyTier.ANALYTICS_SYNC),
    ("cell@apoptosis.com", "researcher123", PrivacyTier.FULL_SYNC),
    ("hike@man.com", "hiker123", PrivacyTier.LOCAL_ONLY),
]


def database_is_local() -> bool:
    database = settings.DATABASES["default"]
    host = str(database.get("HOST") or "")
    return database["ENGINE"].endswith("sqlite3") or host in ("", "localhost", "127.0.0.1", "::1")


def demo_users_seed(*, reset: bool = False) -> set[str]:
    """Create missing demo users; returns the emails created. Reset refuses remote databases."""
    if reset and not database_is_local():
        raise ApiError("refused", "Refusing to reset demo users on a non-local database.")
    created: set[str] = set()
    with transaction.atomic():
        if reset:
            User.objects.filter(email__in=[normalize_email(e) for e, _, _ in DEMO_USERS]).delete()
        for email, password, tier in DEMO_USERS:
            if User.objects.filter(email=normalize_email(email)).exists():
                continue
            User.objects.create_user(
                email, password, display_name=email.split("@")[0].title(), privacy_tier=tier
            )
            created.add(email)
    return created
