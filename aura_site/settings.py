"""Settings for Aura Control Center, read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from aura_site.client_address import trusted_proxy_networks

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Where the embedded default keeps its SQLite file, its generated secret key and export files.
DATA_DIR = Path(env.str("AURA_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The SECRET_KEY from the environment, or one generated once and kept in the data folder."""
    configured = env.str("SECRET_KEY", default="")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("AURA_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "csp",
    "axes",
    "simple_history",
    "aura_site",
    "preferences",
    "models_selection",
    "costs",
    "models_selection.runs",
]

MIDDLEWARE = [
    "aura_site.middleware.CorrelationIdMiddleware",
    "aura_site.middleware.ApiBodySizeLimitMiddleware",
    "aura_site.api_contract.ApiContractMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who made a change, for the change history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "aura_site.middleware.NoStoreMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aura_site.urls"
WSGI_APPLICATION = "aura_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["aura_site.templatetags.aura"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'aura.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable database answers 503 within seconds instead of hanging the request.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("AURA_DB_CONNECT_TIMEOUT", default=5))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts and wait for it, so concurrent writers queue
    # instead of failing; tests use a file (not shared-cache memory) so threads lock the same way.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", str(DATA_DIR / "test.sqlite3"))
else:
    # Keep connections open between requests (a new PostgreSQL connection per request cost 1.5-2.9x the
    # throughput) and check them before reuse, so a restarted server costs one failed check, not an error.
    # `?conn_max_age=` in DATABASE_URL wins; AURA_CONN_MAX_AGE=0 closes after each request (e.g. behind
    # PgBouncer in transaction mode, which pools on its side).
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("AURA_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("AURA_CONN_HEALTH_CHECKS", default=True))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins on both login forms (the site's and admin's) are counted by django-axes per user name
# *and* client address: after AURA_LOGIN_FAILURE_LIMIT failures that user name is locked for
# AURA_LOGIN_LOCKOUT_MINUTES from that address only. Locking on the user name alone, or on the address
# alone, would let one client lock others out (everyone behind one proxy or NAT, or a known account).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AURA_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = env.float("AURA_LOGIN_LOCKOUT_MINUTES", default=15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the pair reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# API rate limits (aura_site/throttles.py): per token (or signed-in user), and failed tokens per address.
AURA_API_RATE = env.str("AURA_API_RATE", default="1200/min")
AURA_FAILED_TOKEN_RATE = env.str("AURA_FAILED_TOKEN_RATE", default="20/min")
# The cache holds the rate-limit counters: use a shared one (redis://…) with several server processes.
CACHES = {"default": env.cache_url("AURA_CACHE_URL", default="locmemcache://")}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("AURA_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from here once `collectstatic` has run
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps and packages, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Request bodies: the API refuses anything larger with 413 (see ApiBodySizeLimitMiddleware).
AURA_MAX_BODY_BYTES = env.int("AURA_MAX_BODY_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = AURA_MAX_BODY_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Encrypts provider API keys at rest (a Fernet key: `python -c "from cryptography.fernet import
# Fernet; print(Fernet.generate_key().decode())"`). Empty: derived from SECRET_KEY.
AURA_ENCRYPTION_KEY = env.str("AURA_ENCRYPTION_KEY", default="")
# Seconds a model probe waits for the provider.
AURA_PROBE_TIMEOUT = env.float("AURA_PROBE_TIMEOUT", default=10.0)
# Outgoing calls to providers (and webhooks) refuse private, loopback and link-local addresses unless
# this is on; Ollama-style local providers may always use them (see aura_site/outbound.py).
AURA_ALLOW_PRIVATE_PROVIDER_URLS = env.bool("AURA_ALLOW_PRIVATE_PROVIDER_URLS", default=False)
# A run's provider calls: seconds per request, and the SDKs' retries on 429/5xx and connection errors.
AURA_RUN_TIMEOUT = env.float("AURA_RUN_TIMEOUT", default=120.0)
AURA_RUN_MAX_RETRIES = env.int("AURA_RUN_MAX_RETRIES", default=2)
# Budget alert webhooks: private/loopback addresses are refused unless this is on (a receiver on the LAN);
# a failed delivery is retried after base × 2^n seconds, up to the attempt limit.
AURA_ALLOW_PRIVATE_WEBHOOK_URLS = env.bool("AURA_ALLOW_PRIVATE_WEBHOOK_URLS", default=False)
AURA_WEBHOOK_TIMEOUT = env.float("AURA_WEBHOOK_TIMEOUT", default=10.0)
AURA_WEBHOOK_MAX_ATTEMPTS = env.int("AURA_WEBHOOK_MAX_ATTEMPTS", default=5)
AURA_WEBHOOK_RETRY_BASE_SECONDS = env.float("AURA_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
# Where finished cost exports are written before they are downloaded.
AURA_EXPORT_DIR = Path(env.str("AURA_EXPORT_DIR", default=str(DATA_DIR / "exports")))

# Celery: with no broker configured, tasks run eagerly in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or "cache+memory://")
CELERY_TASK_TIME_LIMIT = env.int("AURA_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A task's message is acknowledged when it ends, and given back if its worker process dies; Redis hands
# an unacknowledged message to another worker after the visibility timeout, which must outlast the
# longest task (else a running task would be started twice) — the time limit plus a margin.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
AURA_BROKER_CONNECT_TIMEOUT = env.float("AURA_BROKER_CONNECT_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60,
    "socket_connect_timeout": AURA_BROKER_CONNECT_TIMEOUT,
    "socket_timeout": 10,
    "max_retries": 0,
}
# Prefixes every Redis key and channel of the broker (queues, unacknowledged messages, worker control), so
# several installations, or parallel test runs, can share one Redis database without taking each other's
# tasks. Workers and web processes of one installation must use the same prefix.
AURA_BROKER_KEY_PREFIX = env.str("AURA_BROKER_KEY_PREFIX", default="")
if AURA_BROKER_KEY_PREFIX:
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = AURA_BROKER_KEY_PREFIX
# Publishing never waits on a broker that is down: one attempt, a short connect timeout, then 503.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = AURA_BROKER_CONNECT_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = AURA_BROKER_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = 10
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
}
# Long tasks stamp their row this often; a row silent for AURA_TASK_STALE_AFTER seconds belonged to a
# worker that died, and the sweeper retries it (up to AURA_TASK_MAX_ATTEMPTS) or marks it failed.
AURA_TASK_HEARTBEAT_SECONDS = env.float("AURA_TASK_HEARTBEAT_SECONDS", default=10.0)
AURA_TASK_STALE_AFTER = env.float("AURA_TASK_STALE_AFTER", default=6 * AURA_TASK_HEARTBEAT_SECONDS)
AURA_TASK_MAX_ATTEMPTS = env.int("AURA_TASK_MAX_ATTEMPTS", default=3)
# Finished export files are deleted after this many hours.
AURA_EXPORT_RETENTION_HOURS = env.float("AURA_EXPORT_RETENTION_HOURS", default=24.0)
# celery beat runs the sweeper: `celery -A aura_site beat` next to the workers (see README).
CELERY_BEAT_SCHEDULE = {
    "sweep-tasks": {"task": "aura_site.sweep_tasks", "schedule": env.float("AURA_SWEEP_EVERY", default=60.0)},
    # Forecast alerts are checked hourly (each fires once per period).
    "costs-forecast-alerts": {"task": "costs.tasks.check_forecast_alerts", "schedule": 3600.0},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="aura@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation_id": {"()": "aura_site.middleware.CorrelationIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["correlation_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("AURA_LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- Production profile -------------------------------------------------------------------------------
# AURA_HTTPS=true: the site is served over HTTPS (usually behind a proxy that terminates TLS). Turns on
# HSTS, the redirect to HTTPS and secure cookies; each can still be set on its own. `manage.py check
# --deploy --fail-level WARNING` is clean under this profile (tests/foundation/test_production.py).
AURA_HTTPS = env.bool("AURA_HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("AURA_SSL_REDIRECT", default=AURA_HTTPS)
# Load balancers probe health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("AURA_HSTS_SECONDS", default=31_536_000 if AURA_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("AURA_HSTS_INCLUDE_SUBDOMAINS", default=AURA_HTTPS)
SECURE_HSTS_PRELOAD = env.bool("AURA_HSTS_PRELOAD", default=AURA_HTTPS)
SESSION_COOKIE_SECURE = env.bool("AURA_SECURE_COOKIES", default=AURA_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Trust X-Forwarded-Proto from the proxy in front (only if that proxy sets or strips it on every request).
if env.bool("AURA_TRUST_X_FORWARDED_PROTO", default=AURA_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client address (lockout and failed-token limit): the connecting address, or read through
# X-Forwarded-For when the request comes from a trusted proxy (aura_site/client_address.py).
# AURA_TRUSTED_PROXIES: addresses or networks of the proxies in front, comma separated. Under
# AURA_HTTPS the default is the loopback addresses (the proxy on the same host, as in the README).
AURA_TRUSTED_PROXIES = env.list("AURA_TRUSTED_PROXIES", default=["127.0.0.1", "::1"] if AURA_HTTPS else [])
trusted_proxy_networks(tuple(AURA_TRUSTED_PROXIES))  # a bad entry stops the start
AXES_CLIENT_IP_CALLABLE = "aura_site.client_address.client_address"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("AURA_SESSION_SECONDS", default=12 * 60 * 60)

# Content-Security-Policy (django-csp): scripts only from this site (htmx and ours are static files, no
# inline script, no eval); inline *styles* are allowed for the progress bars' widths and htmx's own
# indicator style. AURA_CSP_REPORT_ONLY=true sends it as Report-Only while trying a change.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if env.bool("AURA_CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

if not DEBUG and SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("SECRET_KEY is the insecure development key while DEBUG is off.")

# Lists in the API: {"items", "count"} with bounded limit/offset (aura_site/pagination.py).
NINJA_PAGINATION_CLASS = "aura_site.pagination.LimitOffsetPage"
NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000
