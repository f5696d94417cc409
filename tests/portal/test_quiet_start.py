"""``make run`` starts without warnings: the checks ``migrate`` runs on SQLite, and the embedded broker's URL."""

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]


def test_the_checks_migrate_runs_on_sqlite_print_no_warning(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}", "DJANGO_ENV": "development"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    run = subprocess.run(
        # What migrate runs first: the system checks with the database's own (models.W040 is one).
        [sys.executable, "manage.py", "check", "--database", "default"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )

    output = run.stdout + run.stderr
    assert "no issues" in output
    assert "WARNING" not in output.upper()
    assert "W040" not in output


def test_the_embedded_broker_url_of_make_run_names_its_host(caplog):
    makefile = (ROOT / "Makefile").read_text()
    default_url = re.search(r'CELERY_BROKER_URL:-([^}"]+)\}', makefile).group(1)

    with caplog.at_level(logging.WARNING, logger="kombu.connection"):
        Connection(default_url)._info()

    assert default_url.startswith("filesystem://")
    assert caplog.records == []
