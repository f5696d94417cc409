"""Production: the secrets come only from the environment (no default, so a missing one stops the start),
and HTTPS is enforced behind the TLS-terminating proxy. ``manage.py check --deploy`` is clean with these."""

from .base import *  # noqa: F403
from .base import STORAGES, env

DJANGO_ENV = "production"
IS_PRODUCTION = True

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

# Hashed, compressed names served for a year by WhiteNoise; needs `manage.py collectstatic`.
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# /metrics: closed by default, because behind a local reverse proxy every caller looks like 127.0.0.1.
PORTAL_METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
PORTAL_SHOW_DEMO_LOGINS = env.bool("SHOW_DEMO_LOGINS", default=False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# No script reads the CSRF cookie (forms carry the token), so scripts need not see it at all.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
