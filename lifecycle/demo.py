"""The four demo accounts (each tier, and a second full_sync one) and their demo data.

On request (``--with-data``) each account gets encrypted demo data.

Demo data is encrypted by ``reflective_client`` exactly as a device would, with demo keys
written to each account's key file, and stored through the apps' own services, so the
demo exercises the same code paths as real clients (no running server needed).
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User, normalize_email
from accounts.tiers import PrivacyTier
from accounts.tokens import session_start
from analytics.selectors import current_key_id
from analytics.services.keys import public_context_install
from analytics.services.uploads import MetricUpload, metrics_upload
from journal_sync.services.push import entries_push
from journal_sync.services.versions import EntryContent, EntryWrite
from reflective.errors import ApiError
from reflective_client import keyfile
from reflective_client.analytics import entry_metrics
from reflective_client.crypto import aes_seal, tag_digest
from reflective_client.keyfile import KeyFileError, KeyMaterial
from reflective_client.sync import entry_context
from reflective_client.tags import TAG_NAME_CONTEXT
from tags.services import tag_create

DEMO_USERS: list[tuple[str, str, str]] = [
    ("test@example.com", "testpass123", PrivacyTier.FULL_SYNC),
    ("love@food.com", "foodlover123", PrivacyTier.ANALYTICS_SYNC),
    ("cell@apoptosis.com", "researcher123", PrivacyTier.FULL_SYNC),
    ("hike@man.com", "hiker123", PrivacyTier.LOCAL_ONLY),
]
DEMO_DAYS = 21
# The demo's two "devices"; the key file gets its own random device id for the CLI.
LAPTOP, PHONE = "demo-laptop", "demo-phone"


@dataclass(frozen=True)
class Persona:
    tags: tuple[str, ...]
    openings: tuple[str, ...]
    middles: tuple[str, ...]
    closings: tuple[str, ...]
    with_conflict: bool = False  # one demo account shows an open conflict


PERSONAS: dict[str, Persona] = {
    "test@example.com": Persona(
        with_conflict=True,
        tags=("Work", "Family", "Gratitude"),
        openings=(
            "Woke up before the alarm and watched the light come in.",
            "A slow start today; coffee first, thinking later.",
            "Rain against the window most of the morning.",
            "Long day at work, the planning meeting ran over again.",
        ),
        middles=(
            "Called my sister and we laughed about the summer at the lake.",
            "The project review went better than I feared; people were kind.",
            "Felt anxious before the presentation, then calm once it started.",
            "Walked home the long way through the park and noticed the first cold air.",
            "Cooked soup for the week and the kitchen smelled wonderful.",
            "Read three chapters and forgot to check my phone for an hour.",
            "Tired in the afternoon, a short nap helped more than another coffee.",
        ),
        closings=(
            "Grateful for small things today.",
            "Tomorrow: fewer meetings, more focus.",
            "Going to bed early, happy with the day.",
            "Not my best day, but a good enough one.",
        ),
    ),
    "love@food.com": Persona(
        tags=("Recipes",),
        openings=("Market morning.", "Baked bread before work.", "Friends over for dinner."),
        middles=(
            "The tomatoes were sweet and the basil smelled like summer.",
            "Tried a new curry; too much chili, everyone still loved it.",
            "The sourdough finally rose properly, a proud moment.",
            "Burnt the onions, started again, patience pays.",
        ),
        closings=("Writing the recipe down before I forget.", "Kitchen clean, feet up."),
    ),
    "cell@apoptosis.com": Persona(
        tags=("Lab", "Reading"),
        openings=(
            "Western blots in the morning.",
            "Cell counts looked off again.",
            "Journal club day.",
        ),
        middles=(
            "Caspase-3 signal is stronger in the treated wells, which is good news.",
            "The incubator alarm went off twice; stressed until the temperature settled.",
            "Discussed a paper on mitochondrial permeabilization, great questions from the group.",
            "Spent hours on the confocal; the images are lovely but the analysis is slow.",
            "Felt stuck on the model, then a conversation over lunch helped.",
        ),
        closings=(
            "Plan for tomorrow: repeat with fresh reagents.",
            "Proud of the team today.",
            "Too tired to think; notes tomorrow.",
        ),
    ),
}


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


@dataclass(frozen=True)
class DemoEntry:
    entry_id: str
    written_at: datetime
    text: str


def demo_journal(email: str, *, days: int, today: datetime) -> list[DemoEntry]:
    """A few weeks of plausible entries, the same on every run for the same day."""
    persona = PERSONAS[email]
    rng = random.Random(f"{email}:{today.date().isoformat()}")  # noqa: S311 (demo text)
    entries: list[DemoEntry] = []
    for back in range(days, 0, -1):
        day = (today - timedelta(days=back)).date()
        if rng.random() < 0.2:
            continue  # nobody writes every day
        evening = datetime.combine(day, time(21, rng.randrange(60)), tzinfo=today.tzinfo)
        sentences = [
            rng.choice(persona.openings),
            *rng.sample(persona.middles, k=rng.randint(1, min(4, len(persona.middles)))),
            rng.choice(persona.closings),
        ]
        entries.append(DemoEntry(f"demo-{day.isoformat()}", evening, " ".join(sentences)))
    return entries


def demo_key_dir() -> Path:
    """Where the reference client looks for key files, so the CLI finds the demo's."""
    return keyfile.config_dir()


def demo_keys(email: str, key_dir: Path) -> KeyMaterial:
    """The account's demo key file, created on first use and reused afterwards."""
    path = keyfile.key_path(email, directory=key_dir)
    try:
        return keyfile.load(path)
    except KeyFileError:
        if path.exists():
            raise
    keys = KeyMaterial.generate(email)
    keyfile.save(keys, path)
    return keys


def demo_data_seed(*, key_dir: Path, now: datetime | None = None) -> dict[str, str]:
    """Give each demo account encrypted demo data and a key file; returns what was done.

    Idempotent: an account whose server key is already the key file's is left alone (its
    login in the key file is renewed). An account holding data under another key is
    reported, never overwritten: only ``--reset`` starts it over.
    """
    moment = now or timezone.now()
    outcomes: dict[str, str] = {}
    for email, _password, tier in DEMO_USERS:
        user = User.objects.get(email=normalize_email(email))
        keys = demo_keys(email, key_dir)
        outcomes[email] = demo_user_fill(user=user, tier=tier, keys=keys, now=moment)
        demo_login_store(user=user, key_dir=key_dir)
    return outcomes


def demo_login_store(*, user: User, key_dir: Path) -> None:
    """Store a fresh login in the key file so the CLI works without asking a password."""
    path = keyfile.key_path(user.email, directory=key_dir)
    tokens = session_start(user=user)
    keyfile.save(keyfile.load(path).with_refresh_token(tokens["refresh_token"]), path)


def demo_user_fill(*, user: User, tier: str, keys: KeyMaterial, now: datetime) -> str:
    """Store one account's demo data in one transaction; says what it did."""
    if tier == PrivacyTier.LOCAL_ONLY:
        return "key file only (local_only keeps nothing on the server)"
    if user.privacy_tier != tier:
        return f"now on {user.privacy_tier}, not the demo's {tier}; left alone"
    ckks = keys.ckks()
    server_key = current_key_id(user=user)
    if server_key == ckks.key_id:
        return "already seeded"
    if server_key is not None:
        return "holds data under another key; left alone (seed_demo --reset --with-data)"
    journal = demo_journal(user.email, days=DEMO_DAYS, today=now)
    with transaction.atomic():
        public_context_install(user=user, key_bytes=ckks.public_context)
        done = {"metrics": _metrics_store(user, keys, journal)}
        if tier == PrivacyTier.FULL_SYNC:
            done["entries"] = _entries_store(user, keys, journal)
            done["tags"] = _tags_store(user, keys)
            if PERSONAS[user.email].with_conflict:
                done["open conflict"] = _conflict_store(user, keys, journal[-1])
    return ", ".join(f"{count} {kind}" for kind, count in done.items())


def _entry_write(
    keys: KeyMaterial, entry: DemoEntry, text: str, device: str, base: int
) -> EntryWrite:
    sealed = aes_seal(keys.aes_key, text.encode(), context=entry_context(entry.entry_id))
    return EntryWrite(
        client_id=entry.entry_id,
        device_id=device,
        base_revision=base,
        content=EntryContent(sealed.ciphertext, sealed.iv, sealed.tag),
        created_at=entry.written_at,
        updated_at=entry.written_at,
    )


def _metrics_store(user: User, keys: KeyMaterial, journal: list[DemoEntry]) -> int:
    ckks = keys.ckks()
    uploads = [
        MetricUpload(
            metric_type=point.metric_type,
            blob=ckks.encrypt(point.values),
            timestamp=point.timestamp,
            log_id=point.log_id,
            key_id=ckks.key_id,
        )
        for entry in journal
        for point in entry_metrics(entry.text, entry.written_at, entry.entry_id)
    ]
    return metrics_upload(user=user, metrics=uploads).count


def _entries_store(user: User, keys: KeyMaterial, journal: list[DemoEntry]) -> int:
    writes = [_entry_write(keys, entry, entry.text, LAPTOP, 0) for entry in journal]
    results = entries_push(user=user, writes=writes)
    return sum(result.status == "stored" for result in results)


def _conflict_store(user: User, keys: KeyMaterial, entry: DemoEntry) -> int:
    """The phone adds a line; the laptop, not having pulled, edits the same entry."""
    phone_text = f"{entry.text} Added on the phone: remember to call back tomorrow."
    laptop_text = f"{entry.text} Edited on the laptop: the evening was quiet."
    entries_push(user=user, writes=[_entry_write(keys, entry, phone_text, PHONE, 1)])
    (result,) = entries_push(user=user, writes=[_entry_write(keys, entry, laptop_text, LAPTOP, 1)])
    return 1 if result.conflict_id is not None else 0


def _tags_store(user: User, keys: KeyMaterial) -> int:
    for name in PERSONAS[user.email].tags:
        sealed = aes_seal(keys.aes_key, name.encode(), context=TAG_NAME_CONTEXT)
        tag_create(
            user=user,
            encrypted_name=sealed.ciphertext_with_tag,
            name_iv=sealed.iv,
            name_digest=tag_digest(keys.hmac_key, name),
        )
    return len(PERSONAS[user.email].tags)
