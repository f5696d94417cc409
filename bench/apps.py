from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only for its ``manage.py generate_load`` command: Django finds a command by app, so nothing imports
    bench (it stands above every app and may read all of them)."""

    name = "bench"
    verbose_name = "Benchmarks"
