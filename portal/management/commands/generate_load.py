"""``manage.py generate_load --complaints 1000000 --platforms 2000 [--seed N] [--force]``."""

from django.core.management.base import BaseCommand, CommandError

from portal.loadgen import NeedsPostgres, RealDataPresent, ensure_only_generated_data, generate


class Command(BaseCommand):
    help = "Generate realistic, reproducible load data on PostgreSQL (set-based SQL, minutes per million)."

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=100_000)
        parser.add_argument("--platforms", type=int, default=200)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="add load data even if real data is present")

    def handle(self, *args, complaints: int, platforms: int, seed: int, force: bool, **options):
        if complaints < 1 or platforms < 1:
            raise CommandError("--complaints and --platforms must be positive")
        try:
            ensure_only_generated_data(force)
        except (RealDataPresent, NeedsPostgres) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Generating {complaints:,} complaints across {platforms:,} platforms (seed {seed})…"
        )
        report = generate(complaints=complaints, platforms=platforms, seed=seed, progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {report.seconds['total']} s: {report.platforms:,} platforms, {report.consumers:,} consumers, "
                f"{report.complaints:,} complaints, {report.deadlines:,} clocks, {report.events:,} events, "
                f"{report.evidence:,} evidence rows, {report.responses:,} responses, {report.penalties} penalties."
            )
        )
