"""The server's layers import one way: down (docs/ARCHITECTURE.md draws them).

A lower layer importing a higher one, two data apps importing each other, or the server
importing the reference client outside the demo seeder fails here, in ``make test``.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Bottom to top; packages on one rung are peers and may not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("reflective.errors",),
    ("reflective.lib",),
    ("accounts",),
    ("changefeed",),
    ("journal_sync", "analytics", "tags"),
    ("lifecycle",),
    ("reflective",),  # the project: settings, URL map, health, WSGI
]
SERVER_PACKAGES = ("reflective", "accounts", "changefeed", "journal_sync", "analytics", "tags")
CLIENT = "reflective_client"
CLIENT_USERS = ("lifecycle.demo", "lifecycle.welcome")  # demo data and the greeting


def _owner(module: str) -> tuple[int, str] | None:
    """The rung and package a dotted module name belongs to (longest prefix wins)."""
    best: tuple[int, str] | None = None
    for rung, packages in enumerate(LAYERS):
        for package in packages:
            inside = module == package or module.startswith(package + ".")
            if inside and (best is None or len(package) > len(best[1])):
                best = (rung, package)
    return best


def _production_files() -> Iterator[Path]:
    for package in (*SERVER_PACKAGES, "lifecycle"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" not in parts and "migrations" not in parts:
                yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def layer_violations() -> list[str]:
    found = []
    for path in _production_files():
        importer = _module_name(path)
        source = _owner(importer)
        for line, imported in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {imported}"
            if imported == CLIENT or imported.startswith(CLIENT + "."):
                if not importer.startswith(CLIENT_USERS):
                    found.append(f"{where}: only the demo seeder may use the client")
                continue
            target = _owner(imported)
            if source is None or target is None or target[1] == source[1]:
                continue
            if target[0] > source[0]:
                found.append(f"{where}: {source[1]} sits below {target[1]}")
            elif target[0] == source[0]:
                found.append(f"{where}: {source[1]} and {target[1]} are peers")
    return found


def test_every_import_points_down() -> None:
    assert layer_violations() == []


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("accounts.views", "reflective.lib.db.sql", True),
        ("accounts.privacy", "analytics.services", False),
        ("tags.services", "journal_sync.feed", False),
        ("tags.services", "changefeed.positions", True),
        ("reflective.lib.quotas", "accounts.models", False),
        ("reflective.urls", "tags.urls", True),
    ],
)
def test_the_rule_itself(importer: str, imported: str, allowed: bool) -> None:
    """The check would catch what it is for (a check that cannot fail is no check)."""
    source, target = _owner(importer), _owner(imported)
    assert source is not None
    assert target is not None
    assert (target[0] < source[0] or target[1] == source[1]) is allowed
