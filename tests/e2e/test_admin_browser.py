"""An operator in a real browser: a styled admin shows an entry and a conflict, sizes only."""

import secrets

import pytest

from reflective_client import KeyMaterial, ReflectiveClient
from tests.browser import ADMIN_HEADER_BACKGROUND, ADMIN_HEADER_STYLE, launch_chromium

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def entry_with_conflict(server_url: str, canary: str) -> tuple[str, list[bytes]]:
    """A user whose entry was edited on two devices; returns the ciphertexts stored."""
    email = f"writer-{secrets.token_hex(4)}@example.com"
    password = f"pw {secrets.token_urlsafe(12)}"
    keys = KeyMaterial.generate(email)
    laptop = ReflectiveClient(keys.for_device("laptop"), server_url)
    laptop.api.register(email, password)
    laptop.login(password)
    laptop.account.set_tier("full_sync")
    phone = ReflectiveClient(keys.for_device("phone"), server_url)
    phone.login(password)
    laptop.journal.write("garden-day", f"Planted tomatoes. {canary}")
    phone.journal.pull()
    laptop.journal.write("garden-day", f"Planted tomatoes and basil. {canary}")
    assert phone.journal.write("garden-day", f"Rain all day. {canary}").status == "conflict"
    stored = laptop.api.call("GET", "/api/sync/backups")["backups"]
    return "garden-day", [item["encrypted_content"].encode() for item in stored]


def test_operator_sees_entry_and_conflict_metadata_not_ciphertext(
    live_server, django_user_model, tmp_path
):
    from playwright.sync_api import sync_playwright

    canary = f"canary-{secrets.token_hex(8)}"
    entry_id, ciphertexts = entry_with_conflict(live_server.url, canary)
    admin_password = secrets.token_urlsafe(16)
    django_user_model.objects.create_superuser("operator@example.com", admin_password)

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            # What the operator sees, not just the HTML: base.css was served and applied.
            assert page.evaluate(ADMIN_HEADER_STYLE) == ADMIN_HEADER_BACKGROUND
            page.fill("#id_username", "operator@example.com")
            page.fill("#id_password", admin_password)
            page.click("input[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")

            shown: dict[str, str] = {}
            for name, path in (
                ("entry", "/admin/journal_sync/encryptedentry/"),
                ("conflict", "/admin/journal_sync/entryconflict/"),
            ):
                page.goto(f"{live_server.url}{path}")
                page.locator("#result_list tbody tr th a").first.click()
                page.wait_for_load_state()
                assert "/change/" in page.url
                page.screenshot(path=str(tmp_path / f"admin-{name}.png"), full_page=True)
                shown[name] = page.content()
        finally:
            browser.close()

    assert entry_id in shown["entry"]
    for html in shown.values():
        assert canary not in html
        assert "Planted" not in html
        for ciphertext in ciphertexts:
            assert ciphertext[:24].decode() not in html
    assert (tmp_path / "admin-entry.png").stat().st_size > 10_000
    assert (tmp_path / "admin-conflict.png").stat().st_size > 10_000
