"""Settings, one module per environment (as cookiecutter-django lays them out):

- ``base``: everything common, read from the environment (django-environ);
- ``development``: a laptop (the base defaults);
- ``production``: secrets required, HTTPS, secure cookies, HSTS, hashed static files;
- ``test``: what the test suite needs (fast password hashing, tasks inline).

``DJANGO_SETTINGS_MODULE=portal.settings`` (the default of manage.py, WSGI, ASGI and Celery) picks one by
``DJANGO_ENV``: ``production``, ``test``, anything else ``development`` — so deployments that set
``DJANGO_ENV=production`` keep working. ``DJANGO_SETTINGS_MODULE=portal.settings.production`` (or another
module) names one directly. The choice is made on first use, not on import, so that importing
``portal.settings.production`` does not load the development settings as well.
"""

import importlib
from types import ModuleType

_MODULES = {"production": "production", "test": "test"}


def _selected() -> ModuleType:
    # base reads .env first (without overriding the real environment), so DJANGO_ENV may come from there too.
    base = importlib.import_module(f"{__name__}.base")
    name = _MODULES.get(base.DJANGO_ENV, "development")
    return importlib.import_module(f"{__name__}.{name}")


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_selected(), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(dir(_selected())))
