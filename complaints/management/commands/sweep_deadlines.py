from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from complaints.sweep import deadlines_sweep


def parse_now(value: str) -> datetime:
    """An ISO 8601 time; without an offset it is read in the portal's time zone (Asia/Shanghai)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: {value!r} is not an ISO 8601 time, e.g. 2026-03-02T09:30+08:00") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Run one deadline sweep: reminders, missed deadlines, automatic escalation and acceptance."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Sweep as if it were this time (ISO 8601).")

    def handle(self, *args, now: str | None = None, **options):
        result = deadlines_sweep(now=parse_now(now) if now else None)
        for name, count in result.as_dict().items():
            self.stdout.write(f"{name}: {count}")
