"""The layers of docs/architecture.md hold: ``lint-imports`` checks the import-linter contracts in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_apps_import_only_downwards_and_without_cycles():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
