from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User
from analytics.models import MetricSeries
from analytics.services.rebuild import user_rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the encrypted rollups of users' metric series from their stored metrics, "
        "in each user's current time zone (run after a user changes zone, or to verify). "
        "Touches analytics rollups and series only; metrics and keys are read, not changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", help="Only this user (default: every user with metrics).")

    def handle(self, *args: Any, **options: Any) -> None:
        users = User.objects.filter(
            pk__in=MetricSeries.objects.values_list("user_id", flat=True).distinct()
        )
        if options["email"]:
            users = users.filter(email=options["email"].strip().lower())
        for user in users.order_by("email"):
            count = user_rollups_rebuild(user=user)
            self.stdout.write(f"{user.email}: {count} metrics folded into fresh rollups")
