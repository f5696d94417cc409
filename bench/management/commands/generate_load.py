"""``manage.py generate_load``: the same as ``python -m bench generate`` (see ``bench/generate``)."""

from django.core.management.base import BaseCommand, CommandError

from bench.generate.cli import add_arguments
from bench.generate.run import GenerationRefused, generate_checked


class Command(BaseCommand):
    help = "Generate realistic, reproducible load data on PostgreSQL (set-based SQL, minutes per million)."

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, complaints: int, platforms: int, seed: int, force: bool, **options):
        try:
            report = generate_checked(
                complaints=complaints, platforms=platforms, seed=seed, force=force, progress=self.stdout.write
            )
        except GenerationRefused as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(report.summary()))
