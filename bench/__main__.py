"""``python -m bench [--requests 20] [--warmup 3] [--only inbox] [--no-pdf] [--no-filing] [--no-sweep] [--dry-run]``.

Times every scenario against the PostgreSQL database of ``DATABASE_URL``, prints the table and appends it,
with the machine, the data size, the command and the date, to docs/benchmarks.md.

``python -m bench generate --complaints 1000000 --platforms 2000 [--seed N] [--force]`` first fills that
database with load data (see ``bench/generate``).
"""

import argparse
import os
import shlex
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per scenario (≥ 20 for p95)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--only", action="append", default=[], help="scenarios whose name contains this")
    parser.add_argument("--no-pdf", action="store_true", help="skip the dossier and notice PDFs")
    parser.add_argument("--pdf-requests", type=int, default=10, help="timed renders per PDF scenario")
    parser.add_argument("--pdf-warmup", type=int, default=1, help="untimed renders first")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--sweep-repeats", type=int, default=3)
    parser.add_argument("--no-vanishing", action="store_true", help="skip the vanishing-platform detection")
    parser.add_argument("--vanishing-repeats", type=int, default=5)
    parser.add_argument("--no-export", action="store_true", help="skip the open-data export")
    parser.add_argument("--export-limit", type=int, default=100_000, help="rows of the smaller open-data export")
    parser.add_argument("--export-tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--no-filing", action="store_true")
    parser.add_argument("--filing-seconds", type=int, default=30)
    parser.add_argument("--filing-connections", type=int, default=4)
    parser.add_argument("--filing-threads", type=int, default=2)
    parser.add_argument("--keep-filed", action="store_true", help="keep the complaints wrk filed")
    parser.add_argument("--output", type=Path, default=BASE_DIR / "docs" / "benchmarks.md")
    parser.add_argument("--dry-run", action="store_true", help="print the table, do not append it")
    parser.add_argument("--note", action="append", default=[], help="a line to record with the run")
    parser.add_argument("--repair-schema", action="store_true", help="create indexes the models declare")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["generate"]:
        return generate(argv[1:])
    args = parse_args(argv)
    if not setup_django():
        return 2
    from .runner import run_benchmark

    command = "python -m bench " + shlex.join(argv)
    return run_benchmark(args, command=command.strip())


def generate(argv: list[str]) -> int:
    from .generate.cli import generate_from_args
    from .generate.cli import parse_args as parse_generate_args

    args = parse_generate_args(argv)
    if not setup_django():
        return 2
    return generate_from_args(args)


def setup_django() -> bool:
    """Django set up against the PostgreSQL of ``DATABASE_URL``; False (with the reason on stderr) without one."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("python -m bench needs DATABASE_URL=postgres://… (a generated load database).", file=sys.stderr)
        return False
    # Production-like: no query log kept in memory, no debug pages. Still overridable from the environment.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")
    import warnings

    import django

    # WhiteNoise warns once per client when collectstatic has not run; static files are not benchmarked.
    warnings.filterwarnings("ignore", message="No directory at")

    django.setup()
    return True


if __name__ == "__main__":
    sys.exit(main())
