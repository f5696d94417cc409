from django.core.management.base import BaseCommand, CommandError

from regulation.rollup import refresh_daily_stats
from regulation.statistics import MAX_WINDOW_DAYS


class Command(BaseCommand):
    help = "Recompute the daily per-platform statistics rollup; from the first refresh on, the statistics read it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=MAX_WINDOW_DAYS, help="Filing dates to recompute, ending today."
        )

    def handle(self, *args, days: int, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        rows = refresh_daily_stats(days=days)
        self.stdout.write(f"daily statistics rows: {rows}")
