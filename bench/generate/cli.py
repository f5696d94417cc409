"""``python -m bench generate [--complaints 100000] [--platforms 200] [--seed 2026] [--force]``."""

import argparse
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench generate",
        description="Generate realistic, reproducible load data on PostgreSQL (set-based SQL, minutes per million).",
    )
    add_arguments(parser)
    return parser.parse_args(argv)


def add_arguments(parser) -> None:
    """The options of both command lines (this one and ``manage.py generate_load``)."""
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--platforms", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--force", action="store_true", help="add load data even if real data is present")


def generate_from_args(args: argparse.Namespace) -> int:
    """Generate as ``args`` say (Django must be set up); 2 with the reason on stderr when refused."""
    from .run import GenerationRefused, generate_checked

    try:
        report = generate_checked(
            complaints=args.complaints, platforms=args.platforms, seed=args.seed, force=args.force
        )
    except GenerationRefused as error:
        print(error, file=sys.stderr)
        return 2
    print(report.summary())
    return 0
