"""Looking for secrets in everything the server keeps or shows: dumps, logs, admin pages.

A secret can hide in many spellings: raw bytes, hex (how pg_dump writes bytea), or base64
(how the API and exports carry binary) at any of three byte alignments. Long secrets are
searched by a few windows, since any stored copy would contain each of them.
"""

import base64
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

WINDOW = 48
ADMIN_ROWS_PER_MODEL = 50


def spellings(secret: bytes) -> set[bytes]:
    """Every way ``secret`` could appear in text: raw, hex (both cases), base64 variants."""
    found = {secret, secret.hex().encode(), secret.hex().upper().encode()}
    for shift in range(3):
        whole = (len(secret) - shift) // 3 * 3
        if whole <= 0:
            continue
        chunk = secret[shift : shift + whole]
        found.add(base64.b64encode(chunk))
        found.add(base64.urlsafe_b64encode(chunk))
    return {form for form in found if len(form) >= 16}


def windows(secret: bytes) -> list[bytes]:
    if len(secret) <= WINDOW * 2:
        return [secret]
    middle = len(secret) // 2
    return [secret[:WINDOW], secret[middle : middle + WINDOW], secret[-WINDOW:]]


@dataclass
class LeakScanner:
    """Named secrets, each searched in all its spellings."""

    patterns: dict[str, set[bytes]] = field(default_factory=dict)

    def add(self, name: str, secret: bytes) -> None:
        forms = self.patterns.setdefault(name, set())
        for window in windows(secret):
            forms |= spellings(window)

    def leaks_in(self, where: str, haystack: bytes) -> list[str]:
        return [
            f"{name} found in {where}"
            for name, forms in self.patterns.items()
            if any(form in haystack for form in forms)
        ]


def pg_dump(database_url: str) -> bytes:
    """The whole database as pg_dump prints it (schema and data, bytea as hex)."""
    return subprocess.run(
        ["pg_dump", "--no-owner", database_url], check=True, capture_output=True, timeout=300
    ).stdout


@dataclass(frozen=True)
class AdminPage:
    url: str
    status: int
    html: bytes


def admin_pages(client: Client) -> Iterator[AdminPage]:
    """Every admin changelist and the change page of each of its rows (as a superuser)."""
    for model in admin.site._registry:
        meta = model._meta
        try:
            changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        yield _get(client, changelist)
        for pk in model._default_manager.values_list("pk", flat=True)[:ADMIN_ROWS_PER_MODEL]:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
            yield _get(client, change)


def _get(client: Client, url: str) -> AdminPage:
    response = client.get(url)
    return AdminPage(url=url, status=response.status_code, html=response.content)
