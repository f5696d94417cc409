"""Settings common to every environment, read from the environment (django-environ).

Defaults suit a laptop: SQLite, eager Celery, console e-mail. ``production.py`` hardens them and requires the
secrets, ``test.py`` speeds up the test suite; ``portal/settings/__init__.py`` says which one is used.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = False  # production.py sets it

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-not-secret-5b1f0c2e8d3a4f6b9c7e1d2a3b4c5d6e")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "portal",
    "platforms",
    "complaints",
    "regulation",
    "bench",  # for its generate_load command only: no models, and no app imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded worker and the web server share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # Covering indexes (INCLUDE) serve the inbox and the sweep on PostgreSQL; SQLite builds them without the
    # included columns, which is all an embedded install needs, so its warning about them is noise.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's JIT compiles any plan estimated above jit_above_cost: for the inbox's and the statistics'
    # queries that took seconds of compilation to save milliseconds of execution (docs/benchmarks.md).
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and not env.bool("DATABASE_JIT", default=False):
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
# Where each role lands after logging in (a ?next= page wins): its daily work, not the home page.
PORTAL_LANDING_PAGES = {
    "consumer": "complaints:complaint-list",
    "platform_staff": "complaints:inbox-list",
    "regulator": "regulation:worklist",
}
LOGOUT_REDIRECT_URL = "portal:home"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence is private: MEDIA_ROOT is never served by URL, only through permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {
        "BACKEND": env.str("DEFAULT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("DEFAULT_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
FILE_UPLOAD_PERMISSIONS = 0o600
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A filemail:// URL cannot carry an absolute path (the leading "/" is dropped): set these two instead.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=EMAIL_CONFIG.get("EMAIL_FILE_PATH") or "") or None
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="卡盟投诉平台 <noreply@complaints.example.cn>")
REGULATOR_NOTIFICATION_EMAILS = env.list("REGULATOR_NOTIFICATION_EMAILS", default=[])

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}

# --- Health checks and Prometheus metrics (docs/operations.md, "Health checks and metrics") -------------
INSTALLED_APPS += ["health_check"]  # for `manage.py health_check readyz --no-http`
# Outermost and innermost: total time including middlewares, then latency and counts by view.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# The same engines wrapped to count queries, errors and connections (django_db_* metrics); vendor-specific
# options above were chosen on the plain names and carry over unchanged.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # An unreachable Redis fails in seconds instead of hanging requests (and /readyz) on the TCP connect.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("socket_connect_timeout", 2)
# Probes and scrapers come over plain HTTP from inside the network: no redirect to HTTPS for these paths.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# /metrics answers callers in these networks, or any caller sending "Authorization: Bearer <METRICS_TOKEN>".
# Closed by default in production: behind a local reverse proxy every caller looks like 127.0.0.1.
PORTAL_METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
PORTAL_METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# A Celery worker serves its own task metrics here (0: off); plain HTTP without a token, so loopback by default.
PORTAL_WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
PORTAL_WORKER_METRICS_ADDRESS = env.str("WORKER_METRICS_ADDRESS", default="127.0.0.1")

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
# Without a broker the tasks run inline, so a laptop needs nothing else running.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = False
# Publishing gives up at once when the broker is down: every task a request queues is written down first
# (outbox rows, exports) and sent again by the beat's flush_outbox_task, so waiting helps nobody. Without
# "max_retries": 0 kombu reconnects for broker_connection_timeout with sleeps between tries (a filing took 6 s
# during an outage, docs/benchmarks.md); socket_connect_timeout bounds a broker host that does not answer at
# all. Workers are unaffected: they reconnect with broker_connection_max_retries.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": 1,
    **env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={}),
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None) or None
# Time limits, in seconds. At the soft one SoftTimeLimitExceeded is raised inside the task, which leaves its
# row for a retry (an outbox e-mail or webhook unsent for flush_outbox_task, a dossier export failed with a
# "try again"); at the hard one the worker process is killed (its transaction rolls back; an export is marked
# failed). Defaults as cookiecutter-django's; tasks with longer work take theirs from PORTAL_TASK_TIME_LIMITS
# (portal.celery.time_limits). Enforced by the prefork pool (production workers), not by --pool=solo.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=5 * 60)
PORTAL_TASK_TIME_LIMITS = {  # task: (soft, hard)
    # WeasyPrint with every evidence image inlined: minutes for the largest complaints.
    "render_dossier": (
        env.int("DOSSIER_SOFT_TIME_LIMIT", default=5 * 60),
        env.int("DOSSIER_TIME_LIMIT", default=6 * 60),
    ),
    # Beat every 2 minutes, one pass ~0.2-3 s on 1 M complaints: over before the next one is due.
    "sweep_deadlines": (90, 110),
    # Beat every 10 minutes, a refresh 14-21 s on 1 M complaints (docs/benchmarks.md).
    "refresh_daily_stats": (5 * 60, 6 * 60),
    # Beat every minute: a flush that stops at its soft limit leaves the rest to the next one.
    "flush_outbox": (45, 55),
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {"task": "complaints.tasks.sweep_deadlines_task", "schedule": timedelta(minutes=2)},
    "flush-outbox": {"task": "complaints.tasks.flush_outbox_task", "schedule": timedelta(minutes=1)},
    "refresh-daily-stats": {
        "task": "regulation.tasks.refresh_daily_stats_task",
        "schedule": timedelta(minutes=10),
    },
}

# --- REST framework ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "platforms.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API takes JSON; an endpoint that receives files says so itself (multipart). Declaring one body type
    # per operation keeps the schema exact, and generated clients with it.
    "DEFAULT_PARSER_CLASSES": ["portal.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "filing": env.str("THROTTLE_FILING", default="30/hour"),
        "upload": env.str("THROTTLE_UPLOAD", default="120/hour"),
        "token": env.str("THROTTLE_TOKEN", default="20/minute"),
        "anon": env.str("THROTTLE_ANON", default="120/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# --- JSON request bodies (portal.parsers.BoundedJSONParser): over either cap is a 400, never a 500 ---------
# DRF reads the body as a stream, which DATA_UPLOAD_MAX_MEMORY_SIZE (for request.body and forms) does not
# cover; the largest valid API body (a filing with every text field full) is a few tens of KB.
PORTAL_JSON_MAX_BYTES = env.int("JSON_MAX_BYTES", default=1024 * 1024)
# Python's json recurses per level (RecursionError near 1 000); no API input nests more than a few levels.
PORTAL_JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=64)
SPECTACULAR_SETTINGS = {
    "TITLE": "卡盟 Complaint Portal API",
    "DESCRIPTION": "Undelivered virtual-goods order complaints: consumers, platforms and regulators.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "portal.api.drop_parameter_titles"],
    # Several models have a "status" or "kind" field with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStatusEnum": "complaints.models.Status",
        "EvidenceKindEnum": "complaints.models.EvidenceKind",
        "EventKindEnum": "complaints.models.EventKind",
        "ClockKindEnum": "complaints.models.ClockKind",
        "PenaltyKindEnum": "regulation.models.PenaltyKind",
    },
}

# --- Content security policy: no inline script anywhere, no third-party origins ------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Domain -------------------------------------------------------------------------------------------
PORTAL_REFERENCE_PREFIX = "KM"
# The issuing authority printed on penalty decision notices (行政处罚决定书).
PORTAL_AUTHORITY_NAME = env.str("PORTAL_AUTHORITY_NAME", default="某市市场监督管理局")
PORTAL_DEADLINES = {
    # clock: (length, unit) — unit "working" counts Chinese working days in Asia/Shanghai, "calendar" plain days
    "first_response": (env.int("DEADLINE_FIRST_RESPONSE_WD", default=1), "working"),
    "resolution": (env.int("DEADLINE_RESOLUTION_WD", default=3), "working"),
    "hard_limit": (env.int("DEADLINE_HARD_LIMIT_WD", default=10), "working"),
    "consumer_reply": (env.int("DEADLINE_CONSUMER_REPLY_DAYS", default=7), "calendar"),
    # The regulator's clocks are the law's, not settings: complaints.rulebook, by edition in force.
}
PORTAL_REMINDER_LEAD = timedelta(hours=env.int("DEADLINE_REMINDER_LEAD_HOURS", default=4))
PORTAL_EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
PORTAL_EVIDENCE_MAX_FILES = env.int("EVIDENCE_MAX_FILES", default=20)
PORTAL_AMOUNT_MAX = env.int("COMPLAINT_AMOUNT_MAX_CNY", default=1_000_000)
# A plausible ceiling for one fine, so that a slip of the keyboard is caught: the laws the bureau applies to these
# platforms fine in the tens of thousands to millions of yuan (e.g. 消费者权益保护法第五十六条: up to 500,000 yuan, or
# up to ten times the illegal income).
PORTAL_FINE_MAX = env.int("PENALTY_FINE_MAX_CNY", default=10_000_000)
PORTAL_SCORECARD_MIN_COMPLAINTS = env.int("SCORECARD_MIN_COMPLAINTS", default=5)
PORTAL_WEBHOOK_TIMEOUT = 5
PORTAL_DOSSIER_ASYNC_EVIDENCE = env.int("DOSSIER_ASYNC_EVIDENCE", default=8)
PORTAL_SHOW_DEMO_LOGINS = env.bool("SHOW_DEMO_LOGINS", default=True)
PORTAL_DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-pass-2026")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Profit-seeking signals (Order 121 Art. 17) and follow-up surveys (Art. 26) --------------------------
# docs/signals.md explains each number. A signal informs a regulator's Art. 16(3) decision; it never refuses.
PORTAL_SIGNALS = {
    # Art. 17(2), first half: one consumer, this many complaints (this one included) against one platform, one
    # product or one problem, filed within this many days either side of the complaint.
    "repeat_window_days": env.int("SIGNAL_REPEAT_WINDOW_DAYS", default=30),
    "repeat_min_complaints": env.int("SIGNAL_REPEAT_MIN_COMPLAINTS", default=3),
    # Art. 17(2), second half: this many accounts filing near-identical complaints against one platform within
    # this many days either side; near-identical = same platform, problem and product, descriptions whose
    # character-trigram Jaccard similarity (after normalising) is at least this.
    "coordinated_window_days": env.int("SIGNAL_COORDINATED_WINDOW_DAYS", default=7),
    "coordinated_min_accounts": env.int("SIGNAL_COORDINATED_MIN_ACCOUNTS", default=3),
    "coordinated_min_similarity": env.float("SIGNAL_COORDINATED_MIN_SIMILARITY", default=0.8),
    # Art. 17(4): this many accounts (this one included) with complaints and one phone number or e-mail address.
    "shared_contact_min_accounts": env.int("SIGNAL_SHARED_CONTACT_MIN_ACCOUNTS", default=2),
}
# Art. 26: each week the beat draws this share of the complaints closed in the previous ISO week (at least the
# minimum, per sampling group) for a follow-up survey, open for this many days.
PORTAL_FOLLOW_UP_SHARE = env.float("FOLLOW_UP_SHARE", default=0.10)
PORTAL_FOLLOW_UP_MINIMUM = env.int("FOLLOW_UP_MINIMUM", default=1)
PORTAL_FOLLOW_UP_OPEN_DAYS = env.int("FOLLOW_UP_OPEN_DAYS", default=14)
PORTAL_FOLLOW_UP_COMMENT_MAX_LENGTH = 1000
PORTAL_TASK_TIME_LIMITS["draw_follow_ups"] = (5 * 60, 6 * 60)
# Mondays 02:00 Asia/Shanghai (CELERY_TIMEZONE): the week before is complete by then.
CELERY_BEAT_SCHEDULE["draw-follow-ups"] = {
    "task": "regulation.tasks.draw_follow_ups_task",
    "schedule": crontab(minute=0, hour=2, day_of_week="mon"),
}
# --- The regulators' case desk (Order 121) -------------------------------------------------------------
# Lapsed requests for identity proof or Art. 10 / 11 material are turned into refusal proposals (never refusals).
CELERY_BEAT_SCHEDULE["desk-propose-refusals"] = {
    "task": "regulation.tasks.propose_refusals_task",
    "schedule": timedelta(minutes=15),
}
# Decided notices are rendered and stored by beat (a download issues one at once): the Art. 23 notice clock
# is met within a minute of the decision.
CELERY_BEAT_SCHEDULE["desk-issue-notices"] = {
    "task": "regulation.tasks.issue_pending_notices_task",
    "schedule": timedelta(minutes=1),
}
# A notice is one or two pages: rendering it takes well under a second with HarfBuzz.
PORTAL_TASK_TIME_LIMITS["render_notice"] = (
    env.int("NOTICE_SOFT_TIME_LIMIT", default=60),
    env.int("NOTICE_TIME_LIMIT", default=120),
)
# The desk's API names these choice sets in several places: one enum each in the schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["FindingEnum"] = "complaints.models.Finding"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["ClosingFindingEnum"] = "regulation.desk.CLOSING_FINDINGS"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["NoticeKindEnum"] = "complaints.models.NoticeKind"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["MaterialRequestKindEnum"] = "regulation.models.MaterialRequestKind"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["AgreementKindEnum"] = "regulation.desk.AgreementKind"
# --- Trusted time (RFC 3161) and anchoring of chain heads (docs/evidence-format.md) --------------------
# The TSA that timestamps each anchor's Merkle root, and the CA certificates (PEM files) its tokens must chain
# to. Without a URL nothing is anchored: filing goes on, the backlog grows and /metrics shows it. `make tsa`
# runs a local test TSA (OpenSSL) and prints the values to use.
PORTAL_TSA_URL = env.str("TSA_URL", default="")
PORTAL_TSA_CA_CERTIFICATES = env.list("TSA_CA_CERTIFICATES", default=[])
PORTAL_TSA_TIMEOUT = env.int("TSA_TIMEOUT", default=10)
# One anchor covers at most this many changed chain heads; the rest wait for the next run.
PORTAL_ANCHOR_MAX_LEAVES = env.int("ANCHOR_MAX_LEAVES", default=10_000)
CELERY_BEAT_SCHEDULE["anchor-chain-heads"] = {
    "task": "portal.tasks.anchor_chain_heads_task",
    "schedule": timedelta(minutes=env.int("ANCHOR_INTERVAL_MINUTES", default=5)),
}
# One TSA round trip and a Merkle tree over the changed heads: seconds; the hard limit keeps a hung TSA short.
PORTAL_TASK_TIME_LIMITS["anchor_chain_heads"] = (60, 90)

# --- Signed PDFs (PAdES, pyHanko; docs/operations.md "Signing certificate") -----------------------------
# Dossiers and penalty notices are signed with the portal's certificate: either a PKCS#12 file, or a private key
# and certificate (PEM or DER) with the intermediate certificates that lead to a trusted root. The signature
# carries a timestamp from the TSA above (PORTAL_TSA_URL) when one is configured. Without a certificate the PDFs
# are issued unsigned and say so in their text.
PORTAL_SIGNING_PKCS12 = env.str("SIGNING_PKCS12_FILE", default="")
PORTAL_SIGNING_KEY = env.str("SIGNING_KEY_FILE", default="")
PORTAL_SIGNING_CERT = env.str("SIGNING_CERT_FILE", default="")
PORTAL_SIGNING_CHAIN = env.list("SIGNING_CHAIN_FILES", default=[])
PORTAL_SIGNING_PASSPHRASE = env.str("SIGNING_PASSPHRASE", default="")

# --- The public check /verify/ (complaints/verification.py) ---------------------------------------------
# Anonymous, so limited per client address, the page and the API together; a file (or bundle) larger than
# the cap is refused while it is still arriving.
PORTAL_VERIFY_RATE = env.str("THROTTLE_VERIFY", default="20/minute")
PORTAL_VERIFY_MAX_BYTES = env.int("VERIFY_MAX_BYTES", default=200 * 1024 * 1024)
# An uploaded bundle whose files add up to more than this once unpacked is refused unread (a ZIP bomb).
PORTAL_VERIFY_MAX_UNPACKED_BYTES = env.int("VERIFY_MAX_UNPACKED_BYTES", default=400 * 1024 * 1024)
# --- Outbox flush timing ----------------------------------------------------------------------------------
# The beat's flush sends what a request's own task did not (broker down, worker killed): every interval, the
# e-mails and webhooks older than the grace (younger ones still have their own task on the way).
PORTAL_OUTBOX_FLUSH_INTERVAL = env.int("OUTBOX_FLUSH_INTERVAL", default=60)
PORTAL_OUTBOX_FLUSH_GRACE = env.int("OUTBOX_FLUSH_GRACE", default=30)
CELERY_BEAT_SCHEDULE["flush-outbox"]["schedule"] = timedelta(seconds=PORTAL_OUTBOX_FLUSH_INTERVAL)

# --- OPTIONS answers ---------------------------------------------------------------------------------------
REST_FRAMEWORK["DEFAULT_METADATA_CLASS"] = "portal.api_metadata.ActionsFromSerializersMetadata"

# --- Regulator worklist (regulation/worklist.py) -------------------------------------------------------------
# How far ahead "this week" looks (mediation ending, material lapsing, clocks due) and back (recent escalations),
# and how many complaints each section lists before linking to the rest.
PORTAL_WORKLIST_HORIZON_DAYS = env.int("WORKLIST_HORIZON_DAYS", default=7)
PORTAL_WORKLIST_ROWS = env.int("WORKLIST_ROWS", default=10)
# --- Unreachable platforms (跑路): detection signals (regulation/vanishing.py, docs/vanished-platforms.md) ------
# An alert opens for the office with jurisdiction when at least ``min_signals`` of the signals fire; it is never
# a verdict: a regulator confirms or dismisses it. 消费者权益保护法实施条例 Art. 27; Order 121 Art. 38.
PORTAL_VANISHING = {
    # Surge: complaints filed in the last ``recent_days`` days against ``surge_multiple`` × the median daily count
    # of the ``baseline_days`` days before them × ``recent_days``, and at least ``surge_min_complaints``.
    "recent_days": env.int("VANISHING_RECENT_DAYS", default=7),
    "baseline_days": env.int("VANISHING_BASELINE_DAYS", default=28),
    "surge_multiple": env.float("VANISHING_SURGE_MULTIPLE", default=3.0),
    "surge_min_complaints": env.int("VANISHING_SURGE_MIN_COMPLAINTS", default=10),
    # Silence: of the complaints filed on the last ``answer_working_days`` working days before today, at most
    # ``answered_share_max`` answered, counted when there are at least ``answered_min_complaints``.
    "answer_working_days": env.int("VANISHING_ANSWER_WORKING_DAYS", default=5),
    "answered_share_max": env.float("VANISHING_ANSWERED_SHARE_MAX", default=0.2),
    "answered_min_complaints": env.int("VANISHING_ANSWERED_MIN_COMPLAINTS", default=5),
    # Webhooks: this many failed deliveries in a row to an active endpoint since its last success.
    "webhook_failures": env.int("VANISHING_WEBHOOK_FAILURES", default=5),
    # Inactivity: no API-key use and no answer for this many days while recent complaints wait.
    "inactive_days": env.int("VANISHING_INACTIVE_DAYS", default=7),
    # Words: recent complaints whose text says the site or support is gone.
    "keyword_min_complaints": env.int("VANISHING_KEYWORD_MIN_COMPLAINTS", default=3),
    "keywords": env.list(
        "VANISHING_KEYWORDS",
        default=[
            "跑路",
            "打不开",
            "无法访问",
            "关站",
            "客服失联",
            "联系不上",
            "客服不回",
            "无人回复",
            "site unreachable",
            "site is down",
            "website down",
            "support silent",
            "no reply from support",
            "disappeared",
        ],
    ),
    "min_signals": env.int("VANISHING_MIN_SIGNALS", default=2),
    # A dismissed alert is not reopened for this many days (the regulator has just looked).
    "dismissal_quiet_days": env.int("VANISHING_DISMISSAL_QUIET_DAYS", default=14),
    # Complaint ids listed in an alert's evidence (the count is always complete).
    "evidence_complaint_ids": 200,
}
CELERY_BEAT_SCHEDULE["vanishing-alerts"] = {
    "task": "regulation.tasks.vanishing_alerts_refresh_task",
    "schedule": timedelta(minutes=env.int("VANISHING_REFRESH_MINUTES", default=60)),
}
PORTAL_TASK_TIME_LIMITS["vanishing_alerts_refresh"] = (60, 90)
# --- Joint complaints (Order 121 Art. 12) ------------------------------------------------------------------
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["JointProposalKindEnum"] = "complaints.models.ProposalKind"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["JointDisputeEnum"] = "complaints.models.JointDispute"
# --- Message thread per complaint (complaints/thread.py) -------------------------------------------------
# Files one message may carry; each is evidence and counts towards PORTAL_EVIDENCE_MAX_FILES of its complaint.
PORTAL_MESSAGE_MAX_FILES = env.int("MESSAGE_MAX_FILES", default=5)
# --- In-app notifications ------------------------------------------------------------------------------------
# The header's unread count: one COUNT per page that shows the header (portal.notifications).
TEMPLATES[0]["OPTIONS"]["context_processors"].append("portal.notifications.unread_notifications")
NOTIFICATIONS_PAGE_SIZE = 20
# --- Chargeback packs and open data (complaints/chargeback.py, regulation/open_data.py) ---------------------
# A chargeback pack renders the dossier (when not kept at the current head) and a statement, then zips them.
PORTAL_TASK_TIME_LIMITS["build_chargeback_pack"] = (
    env.int("CHARGEBACK_SOFT_TIME_LIMIT", default=5 * 60),
    env.int("CHARGEBACK_TIME_LIMIT", default=6 * 60),
)
# The daily open-data export streams every published complaint twice (CSV and JSON Lines): minutes at 1 M rows.
PORTAL_TASK_TIME_LIMITS["export_open_data"] = (
    env.int("OPEN_DATA_SOFT_TIME_LIMIT", default=30 * 60),
    env.int("OPEN_DATA_TIME_LIMIT", default=35 * 60),
)
# 03:30 Asia/Shanghai (CELERY_TIMEZONE), after the night's sweeps; the file carries that day's date.
CELERY_BEAT_SCHEDULE["export-open-data"] = {
    "task": "regulation.tasks.export_open_data_task",
    "schedule": crontab(minute=30, hour=3),
}
# A complaint is published once the platform answered, or this many days after filing without an answer
# (docs/open-data.md, "Publication rules").
PORTAL_OPEN_DATA_PUBLISH_AFTER_DAYS = env.int("OPEN_DATA_PUBLISH_AFTER_DAYS", default=15)
# Upper bounds (CNY) of the amount bands published instead of the amount: 0-50, 50-100, …, 5000+.
PORTAL_OPEN_DATA_AMOUNT_BANDS = [50, 100, 200, 500, 1000, 5000]
# Rows fetched per database round trip by the export (QuerySet.iterator(chunk_size=…)).
PORTAL_OPEN_DATA_CHUNK_SIZE = env.int("OPEN_DATA_CHUNK_SIZE", default=2000)
# Key of the public complaint id (an HMAC of the complaint's internal id) and of the API's opaque cursors.
# Keep it stable: changing it changes every published id. Defaults to one derived from SECRET_KEY.
PORTAL_OPEN_DATA_ID_KEY = env.str("OPEN_DATA_ID_KEY", default="open-data-id:" + SECRET_KEY)
PORTAL_OPEN_DATA_LICENCE = "CC BY 4.0"
PORTAL_OPEN_DATA_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# Dossier exports and chargeback packs share one set of statuses: one enum in the schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["ExportStatusEnum"] = "complaints.models.DossierExportStatus"
