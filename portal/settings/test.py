"""The test suite (pytest's DJANGO_SETTINGS_MODULE): the development defaults, made fast and self-contained."""

from .base import *  # noqa: F403
from .base import env

# Argon2 is deliberately slow and every test that logs in pays for it; tests about hashing read base.py.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run inline even when CI points CELERY_BROKER_URL at Redis; the real-broker tests start a worker that
# sets CELERY_TASK_ALWAYS_EAGER=false.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
