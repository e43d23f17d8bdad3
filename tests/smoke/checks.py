"""What a user checks of a running server; test_make_run.py and test_deployment.py call these.

They catch what tests of the in-process application cannot: a gunicorn.conf.py that breaks
the metrics, static files that nothing serves, API docs that load scripts from the internet.
"""

import re
import secrets
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from lifecycle.demo import DEMO_USERS
from tests.browser import ADMIN_HEADER_BACKGROUND, ADMIN_HEADER_STYLE, launch_chromium
from tests.smoke.servers import PROJECT_DIR, SmokeServer, readme_commands

WELCOME_SECONDS = 30
PAGES = ("/admin/login/", "/api/docs/")
REQUEST_SAMPLE = re.compile(
    r'^reflective_http_requests_total\{method="GET",route="api/health",status="200"\} (\S+)$',
    re.MULTILINE,
)


class _Assets(HTMLParser):
    """The stylesheets and scripts a page references."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("rel") in {"stylesheet", "icon"} and found.get("href"):
            self.urls.append(str(found["href"]))


def assets_of(page_url: str) -> list[str]:
    response = requests.get(page_url, timeout=10)
    assert response.status_code == 200, page_url
    parser = _Assets()
    parser.feed(response.text)
    return [urljoin(page_url, url) for url in parser.urls]


def readiness_answers(server: SmokeServer) -> None:
    response = requests.get(f"{server.url}/api/health/ready", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "tenseal": True}}


def metrics_hold_the_requests_served(server: SmokeServer) -> None:
    for _ in range(12):  # spread over every worker
        assert requests.get(f"{server.url}/api/health", timeout=10).status_code == 200
    response = requests.get(f"{server.url}/metrics", headers=server.metrics_headers, timeout=10)
    assert response.status_code == 200
    counts = REQUEST_SAMPLE.findall(response.text)
    assert counts, f"/metrics has no request samples:\n{response.text[:2000]}"
    assert float(counts[0]) >= 12


def metrics_are_refused_without_the_operator_token(server: SmokeServer) -> None:
    for headers in ({}, {"Authorization": f"Bearer {secrets.token_urlsafe(24)}"}):
        response = requests.get(f"{server.url}/metrics", headers=headers, timeout=10)
        assert response.status_code == 403
        assert response.json()["code"] == "metrics_forbidden"


def readme_client_commands_print_decrypted_demo_data(server: SmokeServer) -> None:
    commands = readme_commands(".venv/bin/python")
    client_commands = [words for words in commands if words[1:3] == ["-m", "reflective_client"]]
    assert len(client_commands) >= 2, "the README shows the client's entries and insights"
    outputs = {}
    for words in client_commands:
        done = subprocess.run(
            words, cwd=PROJECT_DIR, env=server.client_env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{words}: {done.stderr[-2000:]}"
        outputs[words[-1] if words[-1] != "week" else "insights"] = done.stdout
    assert re.search(r"\d+ entries", outputs["entries"])
    assert "Added on the phone" in outputs["entries"]  # plaintext of a demo entry
    weekly = re.findall(r"^\s+\d{4}-\d\d-\d\d\s+(\d+)", outputs["insights"], re.MULTILINE)
    assert weekly, outputs["insights"]
    assert sum(int(words) for words in weekly) > 0


def page_assets_come_from_this_server(server: SmokeServer) -> None:
    for path in PAGES:
        _assets_answer(server, path)


def _assets_answer(server: SmokeServer, path: str) -> None:
    urls = assets_of(f"{server.url}{path}")
    assert any(url.endswith(".css") or ".css" in url for url in urls), urls
    for url in urls:
        assert urlsplit(url).netloc == urlsplit(server.url).netloc, f"{path} loads {url}"
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, url
        assert response.content, url


def static_files_are_compressed_and_cache_busted(server: SmokeServer) -> None:
    """Production's assets: content-hashed names, cached for good, sent compressed."""
    for path in PAGES:
        for url in assets_of(f"{server.url}{path}"):
            if not url.endswith((".css", ".js")):
                continue
            assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), f"no content hash in {url}"
            response = requests.get(url, headers={"Accept-Encoding": "br, gzip"}, timeout=10)
            assert response.status_code == 200, url
            assert "immutable" in response.headers["Cache-Control"], url
            assert response.headers.get("Content-Encoding") in {"br", "gzip"}, url


def _browser_pages(server: SmokeServer, screenshot_dir: Path) -> dict[str, dict[str, object]]:
    """Each page in headless Chromium: what it shows, and every host it asked for something."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, dict[str, object]] = {}
    mode = server.mode.replace(" ", "-")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            hosts: set[str] = set()
            page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
            page.goto(f"{server.url}/admin/login/")
            page.wait_for_load_state("networkidle")
            header = page.evaluate(ADMIN_HEADER_STYLE)
            page.screenshot(path=str(screenshot_dir / f"{mode}-admin-login.png"), full_page=True)
            seen["admin"] = {"header": header, "hosts": set(hosts)}

            hosts.clear()
            page.goto(f"{server.url}/api/docs/")
            page.wait_for_selector(".opblock", timeout=30_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            # Swagger UI gives deprecated operations (the legacy aliases) their own class.
            legacy = page.locator(".opblock-summary-path__deprecated").all_inner_texts()
            page.screenshot(path=str(screenshot_dir / f"{mode}-api-docs.png"))
            seen["docs"] = {"paths": paths, "legacy": legacy, "hosts": set(hosts)}
        finally:
            browser.close()
    return seen


def browser_shows_styled_admin_and_the_operations_using_only_this_server(
    server: SmokeServer, screenshot_dir: Path
) -> None:
    seen = _browser_pages(server, screenshot_dir)
    own = {urlsplit(server.url).netloc}
    assert seen["admin"]["header"] == ADMIN_HEADER_BACKGROUND
    assert seen["admin"]["hosts"] == own
    paths = seen["docs"]["paths"]
    assert isinstance(paths, list)
    assert len(paths) > 30
    assert any("/api/sync/entries" in path for path in paths)
    legacy = seen["docs"]["legacy"]
    assert isinstance(legacy, list)
    assert any("/api/sync/backup" in path for path in legacy)
    assert seen["docs"]["hosts"] == own


def make_run_says_what_to_do_next(server: SmokeServer) -> None:
    # Printed by a process that polls readiness too: give it a moment after the test's poll.
    deadline = time.monotonic() + WELCOME_SECONDS
    while "Reflective is up" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    log = server.log_text()
    for expected in (
        f"{server.url}/api/docs/",
        f"{server.url}/admin/",
        ".venv/bin/python -m reflective_client --as test@example.com entries",
        *(f"{email} / {password}" for email, password, _tier in DEMO_USERS),
    ):
        assert expected in log, log[-3000:]
