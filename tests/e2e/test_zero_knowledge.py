"""Three devices of one user against a real server, then proof the server learned nothing.

Every plaintext this test encrypts carries a random canary. After the devices have synced,
conflicted, resolved, tagged and uploaded metrics, the whole database (pg_dump), the
server's log and every admin page are searched for the canary, the keys and the password.
"""

import secrets
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tenseal as ts
from django.test import Client

from reflective_client import ReflectiveClient, ServerError
from reflective_client.analytics import entry_metrics
from reflective_client.encoding import b64d, b64e
from reflective_client.keyfile import KeyMaterial
from reflective_client.sync import PushResult
from reflective_client.textstats import word_count
from tests.e2e.conftest import RunningServer
from tests.e2e.leaks import LeakScanner, admin_pages, pg_dump, spellings, windows

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

EMAIL = "e2e-writer@example.com"


def device(server: RunningServer, keys: KeyMaterial, name: str, password: str) -> ReflectiveClient:
    client = ReflectiveClient(keys.for_device(f"{name}-{secrets.token_hex(4)}"), server.url)
    client.login(password)
    return client


def assert_converged(*devices: ReflectiveClient) -> str:
    for each in devices:
        each.journal.pull()
    digests = {each.journal.digest() for each in devices}
    assert len(digests) == 1, "devices hold different entry sets"
    (digest,) = digests
    assert devices[0].journal.server_state()["digest"] == digest
    return digest


def race(*pushes: Callable[[], PushResult]) -> list[PushResult]:
    """Run the pushes at the same moment from separate threads."""
    barrier = threading.Barrier(len(pushes))
    results: list[PushResult | None] = [None] * len(pushes)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = pushes[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(pushes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


def ckks_secret_key(keys: KeyMaterial) -> bytes:
    context = ts.context_from(keys.ckks_secret_context)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "secret_key"
        context.secret_key().data.save(str(path))
        return path.read_bytes()


def test_devices_converge_and_the_server_learns_nothing(
    gunicorn_server: RunningServer, django_user_model, tmp_path
):
    canary = f"canary-{secrets.token_hex(16)}"
    password = f"pw {secrets.token_urlsafe(18)}"
    keys = KeyMaterial.generate(EMAIL)
    plaintexts: list[str] = []

    def text(body: str) -> str:
        plaintexts.append(f"{body} [{canary}]")
        return plaintexts[-1]

    # --- two devices of one user write ------------------------------------------------
    setup = ReflectiveClient(keys, gunicorn_server.url)
    setup.api.register(EMAIL, password)
    laptop = device(gunicorn_server, keys, "laptop", password)
    laptop.account.set_tier("full_sync")
    phone = device(gunicorn_server, keys, "phone", password)

    laptop_texts = {
        f"lake-{day}": text(f"Day {day}: walked around the lake, calm and happy.")
        for day in range(3)
    }
    assert {r.status for r in laptop.journal.write_many(laptop_texts)} == {"stored"}
    assert phone.journal.write("phone-0", text("Tired but glad, a long day.")).status == "stored"
    assert_converged(laptop, phone)

    # --- both edit the same entry at once: one is stored, the other is a conflict -------
    edits = {
        laptop: text("Laptop: the lake was frozen."),
        phone: text("Phone: the lake was warm and sunny."),
    }
    first, second = race(
        lambda: laptop.journal.write("lake-0", edits[laptop]),
        lambda: phone.journal.write("lake-0", edits[phone]),
    )
    assert sorted([first.status, second.status]) == ["conflict", "stored"]
    winner, loser = (laptop, phone) if first.status == "stored" else (phone, laptop)
    conflict_id = (second if first.status == "stored" else first).conflict_id

    # A retried conflicting push updates the open conflict instead of adding one.
    retried = loser.journal.write("lake-0", edits[loser])
    assert (retried.status, retried.conflict_id) == ("conflict", conflict_id)

    for each in (laptop, phone):
        (seen,) = each.journal.conflicts()
        assert seen.id == conflict_id
        assert seen.entry_id == "lake-0"
        assert seen.local.text == edits[loser]
        assert seen.remote.text == edits[winner]

    # --- resolved on one device, both converge -----------------------------------------
    merged = text("Merged: frozen in the morning, warm by noon.")
    (open_conflict,) = loser.journal.conflicts()
    loser.journal.resolve(open_conflict, "merged", merged)
    with pytest.raises(ServerError) as twice:
        winner.journal.resolve(open_conflict, "remote")
    assert twice.value.status == 409
    digest = assert_converged(laptop, phone)
    for each in (laptop, phone):
        assert each.journal.entries["lake-0"].text == merged
        assert each.journal.conflicts() == []

    # --- a delete reaches the other device as a tombstone; tags de-duplicate ------------
    phone.journal.delete("phone-0")
    assert_converged(laptop, phone)
    assert laptop.journal.entries["phone-0"].deleted
    tag_name = text("Lake days")
    created = laptop.tags.add(tag_name)
    again = phone.tags.add("  LAKE   days " + tag_name.removeprefix("Lake days "))
    assert again.id == created.id
    assert [tag.name for tag in phone.tags.list()] == [tag_name]

    # --- a third device joins from scratch and pulls everything ------------------------
    tablet = device(gunicorn_server, keys, "tablet", password)
    assert assert_converged(laptop, phone, tablet) != digest  # the delete moved it on
    assert {e.id: e.text for e in tablet.journal.live()} == {
        e.id: e.text for e in laptop.journal.live()
    }
    assert tablet.journal.entries["lake-0"].text == merged

    # --- metrics from two devices aggregate to the right numbers -----------------------
    now = datetime.now(UTC)
    by_device = {laptop: [laptop_texts["lake-1"], laptop_texts["lake-2"]], phone: [merged]}
    for each, texts in by_device.items():
        each.insights.upload(point for t in texts for point in entry_metrics(t, now))
    all_texts = [t for texts in by_device.values() for t in texts]
    expected_words = sum(word_count(t) for t in all_texts)
    total = tablet.insights.aggregate("word_count", "sum")
    assert total.count == len(all_texts)
    assert total.values is not None
    assert total.values[0] == pytest.approx(expected_words, abs=0.01)
    average = tablet.insights.aggregate("word_count", "average")
    assert average.values is not None
    assert average.values[0] == pytest.approx(expected_words / len(all_texts), abs=0.01)
    weekly = tablet.insights.aggregate("word_count", "sum", bucket="week", timezone="UTC")
    assert sum(b.values[0] for b in weekly.buckets) == pytest.approx(expected_words, abs=0.01)
    assert sum(b.count for b in weekly.buckets) == len(all_texts)

    # The server refuses a context that carries the secret key.
    with pytest.raises(ServerError) as refused:
        laptop.api.call(
            "PUT",
            "/api/encryption/public-context",
            json={"he_public_key": b64e(keys.ckks_secret_context)},
        )
    assert 400 <= refused.value.status < 500

    # --- what the server holds at its fullest ------------------------------------------
    stored = laptop.api.call("GET", "/api/sync/backups", params={"limit": 500})["backups"]
    a_ciphertext = b64d(next(item for item in stored if not item["deleted"])["encrypted_content"])
    dump_full = pg_dump(gunicorn_server.database_url)
    assert any(form in dump_full for form in spellings(a_ciphertext[:48])), (
        "the dump does not contain the stored ciphertext: the scan below would prove nothing"
    )
    admin_html = harvest_admin(django_user_model)

    # --- the user downgrades and the data is gone --------------------------------------
    counts = laptop.account.set_tier("local_only")
    assert counts["deleted_entries"] == 4
    assert counts["deleted_metrics"] == 2 * len(all_texts)
    assert counts["deleted_tags"] == 1
    assert counts["deleted_conflicts"] >= 1
    with pytest.raises(ServerError) as gone:
        tablet.journal.pull()
    assert (gone.value.status, gone.value.code) == (403, "tier_required")
    dump_after = pg_dump(gunicorn_server.database_url)
    assert not any(form in dump_after for form in spellings(a_ciphertext[:48]))

    # --- the canary check ---------------------------------------------------------------
    scanner = LeakScanner()
    scanner.add("canary", canary.encode())
    for index, plaintext in enumerate(plaintexts):
        scanner.add(f"plaintext #{index}", plaintext.encode())
    scanner.add("password", password.encode())
    scanner.add("AES key", keys.aes_key)
    scanner.add("HMAC key", keys.hmac_key)
    secret_key = ckks_secret_key(keys)
    public_context = keys.ckks().public_context
    assert not any(f in public_context for w in windows(secret_key) for f in spellings(w))
    scanner.add("CKKS secret key", secret_key)

    log = gunicorn_server.log_bytes()
    assert b"sync/entries" in log, "the server log is empty: the scan below would prove nothing"
    sources = [
        ("pg_dump before downgrade", dump_full),
        ("pg_dump after downgrade", dump_after),
        ("server log", log),
        *admin_html,
    ]
    leaks = [leak for where, haystack in sources for leak in scanner.leaks_in(where, haystack)]
    assert leaks == []
    (tmp_path / "dump.sql").write_bytes(dump_full)  # kept for a person to inspect


def harvest_admin(django_user_model) -> list[tuple[str, bytes]]:
    """Every admin list and change page, as a superuser sees them; all must render."""
    admin_user = django_user_model.objects.create_superuser(
        "operator@example.com", secrets.token_urlsafe(16)
    )
    browser = Client()
    browser.force_login(admin_user)
    pages = list(admin_pages(browser))
    failing = [(page.url, page.status) for page in pages if page.status != 200]
    assert failing == []
    change_pages = [page.url for page in pages if "/change/" in page.url]
    assert any("/journal_sync/" in url for url in change_pages), "no entry change page seen"
    return [(f"admin {page.url}", page.html) for page in pages]
