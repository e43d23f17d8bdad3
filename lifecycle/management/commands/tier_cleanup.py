from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lifecycle.cleanup import tier_cleanup


class Command(BaseCommand):
    help = (
        "Delete what each user's privacy tier no longer allows (entries, revisions, conflicts, "
        "metrics, rollups, keys, tags), prune tombstones and revisions past retention, stale "
        "tags (--tag-days N), expired refresh tokens and used or expired reset and email-change "
        "links. --dry-run only counts."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tag-days", type=int, default=None, help="delete tags unused N days")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["tag_days"] is not None and options["tag_days"] < 1:
            raise CommandError("--tag-days must be at least 1")
        counts = tier_cleanup(tag_days=options["tag_days"], dry_run=options["dry_run"])
        prefix = "would delete" if options["dry_run"] else "deleted"
        for name, count in sorted(counts.items()):
            self.stdout.write(f"{prefix} {name}: {count}")
