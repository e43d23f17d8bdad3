from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_USERS, demo_users_seed


class Command(BaseCommand):
    help = (
        "Create the four demo users (accounts only). Touches the accounts table; with "
        "--reset, first deletes those four users and everything they own."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--reset", action="store_true", help="delete the demo users first")

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_users_seed(reset=options["reset"])
        for email, _password, _tier in DEMO_USERS:
            state = "created" if email in created else "exists"
            self.stdout.write(f"{email}: {state}")
