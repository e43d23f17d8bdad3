from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lifecycle.demo import DEMO_USERS, demo_data_seed, demo_key_dir, demo_users_seed
from reflective.errors import ApiError


class Command(BaseCommand):
    help = (
        "Create the four demo users. Touches the accounts table; with --reset, first deletes "
        "those four users and everything they own (local databases only). With --with-data, "
        "also stores a few weeks of encrypted entries, tags, metrics and one open conflict "
        "(entries, tags, conflicts, metrics and keys tables) and writes each demo account's "
        "key file under --key-dir, so the reference client can decrypt the demo."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--reset", action="store_true", help="delete the demo users first")
        parser.add_argument(
            "--with-data", action="store_true", help="add encrypted demo data and key files"
        )
        parser.add_argument(
            "--key-dir",
            type=Path,
            default=None,
            help="where demo key files go (default: $XDG_CONFIG_HOME/reflective)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = demo_users_seed(reset=options["reset"])
        except ApiError as error:
            raise CommandError(error.detail) from None
        for email, _password, _tier in DEMO_USERS:
            state = "created" if email in created else "exists"
            self.stdout.write(f"{email}: {state}")
        if not options["with_data"]:
            return
        key_dir = options["key_dir"] or demo_key_dir()
        for email, outcome in demo_data_seed(key_dir=key_dir).items():
            self.stdout.write(f"{email}: {outcome}")
        self.stdout.write(f"demo key files: {key_dir}")
