"""NET Guide settings: one module, configured by the environment.

Safe by default: DEBUG is off unless DJANGO_DEBUG is set, and outside DEBUG
there is no default secret key.
"""

import os
from datetime import time, timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_flag("DJANGO_DEBUG")
# A demo of the production stack (`make serve`): load_demo may create the demo
# accounts and approvals, into an empty database only. Never set in production.
DEMO = env_flag("NETGUIDE_DEMO")
# Approval is refused while a statement of the revision cites no approved passage
# and is not marked an explanation (docs/editorial-workflow.md); the desk and
# review_status report the statements without support either way.
EVIDENCE_REQUIRED = env_flag("NETGUIDE_EVIDENCE_REQUIRED", default=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-never-used-in-production"
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "Set DJANGO_DEBUG=1 for local development."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "editorial.apps.EditorialAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_distill",
    "markdownx",
    # Background tasks (before the engine, whose admin shows them in its own list).
    "django_tasks_db",
    "editorial",
    "treatments",
    "appointments",
]

MIDDLEWARE = [
    "netguide.middleware.RequestSizeLimitMiddleware",
    "netguide.middleware.FormCharsetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "netguide.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the page cache: /es/ addresses resolve in the language they name.
    "netguide.middleware.LocaleMiddleware",
    "netguide.page_cache.PageCacheMiddleware",
    # Compresses the answers the page cache stores and serves (so a hit is not
    # compressed again) and every other page; its random padding (Heal The Breach)
    # and CSRF's per-response token mask keep BREACH away from the forms.
    "django.middleware.gzip.GZipMiddleware",
    "netguide.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # One read of each content type's published state per page (not for cache hits).
    "treatments.middleware.PublishedStateMiddleware",
    "netguide.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "netguide.urls"

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
                "treatments.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "netguide.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

# How long any query may wait for PostgreSQL (the server's statement_timeout, and
# netguide.db's bound on the client side for a server that stops answering); 0: none.
DATABASE_WAIT_SECONDS = float(os.environ.get("NETGUIDE_DATABASE_WAIT_SECONDS", "3"))
# PostgreSQL connections come from a bounded pool in each process (psycopg's, built into
# Django), so one app server holds at most DATABASE_CONNECTIONS_PER_SERVER whatever the
# load, and closes the idle ones: its gunicorn workers (WEB_CONCURRENCY, read as
# gunicorn.conf.py reads it) share them, a pool of DATABASE_POOL_SIZE each. 0: no pool
# in the process (PgBouncer in front does the pooling). docs/database-connections.md.
WEB_WORKERS = int(os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) + 1)))
DATABASE_CONNECTIONS_PER_SERVER = int(
    os.environ.get("NETGUIDE_DATABASE_CONNECTIONS_PER_SERVER", "12")
)
# Every worker gets one at least (then the deploy check counts what the workers hold).
DATABASE_POOL_SIZE = (
    max(1, DATABASE_CONNECTIONS_PER_SERVER // WEB_WORKERS)
    if DATABASE_CONNECTIONS_PER_SERVER
    else 0
)
# How long a request may wait for a connection (a free one, or a new one while the
# database is away) before the calm 503.
DATABASE_POOL_TIMEOUT = float(os.environ.get("NETGUIDE_DATABASE_POOL_TIMEOUT", "3"))
# A connection unused this long is closed (one per interval, per process).
DATABASE_POOL_IDLE_SECONDS = float(
    os.environ.get("NETGUIDE_DATABASE_POOL_IDLE_SECONDS", "60")
)
# What the deploy check (netguide/checks.py) counts against PostgreSQL's
# max_connections: the app servers sharing the database, and the connections kept for
# everything else (migrate, cron commands, admins in psql, and PostgreSQL's own
# superuser_reserved_connections).
APP_SERVERS = int(os.environ.get("NETGUIDE_APP_SERVERS", "1"))
DATABASE_RESERVED_CONNECTIONS = int(
    os.environ.get("NETGUIDE_DATABASE_RESERVED_CONNECTIONS", "10")
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write the embedded database at once. A transaction
    # takes the write lock when it begins (else SQLite refuses, "database is locked",
    # one that read before the other wrote) and waits its turn; WAL lets pages be read
    # meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "netguide.db"
    # Give up quickly on a database that does not answer: a calm 503 beats a hung worker.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "options": f"-c statement_timeout={int(DATABASE_WAIT_SECONDS * 1000)}",
            "connect_timeout": 2,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 2,
            "tcp_user_timeout": 10000,
        }
    )
    if DATABASE_POOL_SIZE:
        # A pool hands each request a connection and takes it back at the end: Django
        # refuses persistent connections beside it.
        if int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")):
            raise ImproperlyConfigured(
                "DJANGO_CONN_MAX_AGE keeps connections outside the pool. Unset it, or "
                "set NETGUIDE_DATABASE_CONNECTIONS_PER_SERVER=0 to go without the pool."
            )
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 0,
            "max_size": DATABASE_POOL_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,
            "max_idle": DATABASE_POOL_IDLE_SECONDS,
            # After an outage, retry soon: psycopg's default keeps backing off for 5
            # minutes, so a database back within seconds waited for the next attempt.
            "reconnect_timeout": DATABASE_POOL_TIMEOUT,
            # netguide.db checks each connection it takes, without the pool's pauses.
            "check": None,
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The languages the guide is written in; the first is the source every other one is
# translated from. A new language is a line here, its message file (locale/) and its
# content (content/<code>/).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# How each language's reading level is measured (textstat) and the bound a page must
# meet: ("fernandez_huerta", ">=", 70) means a score of at least 70.
READABILITY = {
    "en": {"measure": "flesch_kincaid_grade", "textstat_lang": "en_US", "most": 8.0},
    "es": {"measure": "fernandez_huerta", "textstat_lang": "es", "least": 70.0},
}
# PostgreSQL text-search configuration per language; accents are ignored where
# `unaccent` is set. (The words that carry no weight: treatments/stop_words.py.)
SEARCH_CONFIGS = {
    "en": {"config": "english", "unaccent": False},
    "es": {"config": "spanish", "unaccent": True},
}
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads are switched off (see netguide/urls.py); this keeps any file write
# out of the project directory all the same.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"

# Caches: Redis shared by every app server in production, local memory otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "netguide.cache.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("NETGUIDE_CACHE_PREFIX", "netguide"),
            # Fail fast when Redis is away: pages then come from the database.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    # Without Redis: files every process of this machine shares (the web server and
    # the worker), so a version bumped by one is read by all. One machine only:
    # `check --deploy` says so (netguide/checks.py).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("NETGUIDE_CACHE_DIR", str(BASE_DIR / ".cache")),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }
# How long a rendered public page may be served from the cache (approvals
# invalidate it at once) and what a CDN or browser may keep.
PAGE_CACHE_SECONDS = int(os.environ.get("NETGUIDE_PAGE_CACHE_SECONDS", "3600"))
# The kinds of content (a content type's `cache_kind`) every public page shows: the
# site settings (name, phone number, call to action) and the sources a page cites
# ("Where this information comes from"). Publishing one renews them all.
EVERY_PAGE_SHOWS = ["site", "sources"]
PUBLIC_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
# Searches are free text: the page cache keeps at most this many per language,
# each query overwriting another's entry, so made-up words cannot fill Redis.
SEARCH_CACHE_ENTRIES = int(os.environ.get("NETGUIDE_SEARCH_CACHE_ENTRIES", "256"))

# Public pages set no cookies; the admin's cookies are strict and short-lived.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: idle expiry
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# How many proxies in front of Django add the address they were reached from to
# X-Forwarded-For: deploy/nginx.conf is one (and it works out the address behind a
# TLS proxy itself, with set_real_ip_from). docs/security.md.
TRUSTED_PROXIES = int(os.environ.get("NETGUIDE_TRUSTED_PROXIES", "1"))

ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"
ADMIN_LOGIN_ATTEMPTS = int(os.environ.get("NETGUIDE_ADMIN_LOGIN_ATTEMPTS", "5"))
ADMIN_LOCKOUT_SECONDS = int(
    os.environ.get("NETGUIDE_ADMIN_LOCKOUT_SECONDS", str(15 * 60))
)

# Security headers. Production sits behind a TLS proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
ALLOW_PLAIN_HTTP = env_flag(
    "NETGUIDE_ALLOW_PLAIN_HTTP"
)  # local production-mode runs only
SECURE_SSL_REDIRECT = not DEBUG and not ALLOW_PLAIN_HTTP
if ALLOW_PLAIN_HTTP:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = (
    0 if DEBUG else int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD")  # opt in: docs/deployment.md
# Preloading is a hard-to-undo choice for the domain owner (docs/deployment.md).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
}

# Refuse oversized requests early.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
MAX_REQUEST_BYTES = 1024 * 1024

MARKDOWNX_MARKDOWNIFY_FUNCTION = "treatments.markdown.render_markdown"
MARKDOWNX_URLS_PATH = "/admin-tools/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/admin-tools/markdownx/upload/"

EMAIL_BACKEND_PATH = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("DJANGO_EMAIL_PORT", "25")),
        "username": os.environ.get("DJANGO_EMAIL_USER", ""),
        "password": os.environ.get("DJANGO_EMAIL_PASSWORD", ""),
        "use_tls": env_flag("DJANGO_EMAIL_USE_TLS"),
        # Bounded: the team's email is sent after the patient's page, within this.
        "timeout": int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "5")),
    }
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "NET Guide <noreply@localhost>"
)
SITE_URL = os.environ.get("NETGUIDE_SITE_URL", "http://127.0.0.1:8000")

CONTENT_DIR = BASE_DIR / "content"
# Who the calm 503 page tells patients to call: a callable of the content app's
# (netguide/middleware.py asks it, and imports no app).
OUTAGE_CONTACT = "treatments.models.site.site_contact"

# Published files (netguide/static_site.py): where approved public pages are written for
# nginx, and other trees (another edge or region) each build is copied to. Unset: off.
PUBLISH_DIR = os.environ.get("NETGUIDE_PUBLISH_DIR", "")
PUBLISH_MIRRORS = env_list("NETGUIDE_PUBLISH_MIRRORS")

# Background work (docs/background-work.md): Django's tasks framework on the
# database, run by `manage.py worker`. Each queue names the permission of the people
# its failures concern (None: administrators only); they see them in the admin.
TASK_QUEUES = {
    "editorial": "editorial.approve_revision",  # reviewers: publishing, go-lives
    "appointments": "appointments.view_appointmentrequest",  # coordinators: emails
    "maintenance": None,
}
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": list(TASK_QUEUES),
    }
}
# What the worker runs on a schedule: every interval, or daily at a local time. A
# run missed while no worker ran happens once when one is back, not once per miss.
BACKGROUND_JOBS = {
    # Safety nets for work whose own task was lost (a worker killed mid-task).
    "editorial.tasks.publish_overdue": timedelta(minutes=5),
    "appointments.tasks.resume_team_emails": timedelta(minutes=5),
    "netguide.static_site.check_published_files": timedelta(hours=1),
    "appointments.tasks.apply_retention_rules": time(3, 0),
    "netguide.background.prune_finished_tasks": time(3, 30),
    "editorial.tasks.remind_reviewers": time(8, 0),
}

# Appointment requests: who is told, how often one address may ask, how long we keep them.
APPOINTMENTS_NOTIFY_EMAIL = os.environ.get(
    "NETGUIDE_APPOINTMENTS_EMAIL", "appointments@localhost"
)
APPOINTMENT_REQUESTS_PER_HOUR = int(
    os.environ.get("NETGUIDE_APPOINTMENT_REQUESTS_PER_HOUR", "3")
)
APPOINTMENT_CLOSED_RETENTION_DAYS = int(
    os.environ.get("NETGUIDE_APPOINTMENT_RETENTION_DAYS", "90")
)
APPOINTMENT_OPEN_RETENTION_DAYS = int(
    os.environ.get("NETGUIDE_APPOINTMENT_OPEN_RETENTION_DAYS", "365")
)
# The promise to call back within one business day, in the team's time zone.
APPOINTMENT_RESPONSE_BUSINESS_DAYS = int(
    os.environ.get("NETGUIDE_APPOINTMENT_RESPONSE_BUSINESS_DAYS", "1")
)
APPOINTMENT_TEAM_TIME_ZONE = os.environ.get(
    "NETGUIDE_APPOINTMENT_TEAM_TIME_ZONE", TIME_ZONE
)
# The hours the team calls patients back, Monday to Friday, on the team's clock
# ("08:00-19:00"): every call-back time falls inside them, and inside the patient's
# best time to call where they chose one (the form offers 8 a.m. to 7 p.m.).
APPOINTMENT_BUSINESS_HOURS = os.environ.get(
    "NETGUIDE_APPOINTMENT_BUSINESS_HOURS", "08:00-19:00"
)
# A request is closed as unreachable only after this many unanswered calls.
APPOINTMENT_UNREACHABLE_AFTER_TRIES = int(
    os.environ.get("NETGUIDE_APPOINTMENT_UNREACHABLE_AFTER_TRIES", "3")
)
APPOINTMENT_DUPLICATE_WINDOW_DAYS = 7
# After a failed team email, the waits before each further try (seconds); when
# they are used up the failure is final and shown to the coordinators.
APPOINTMENT_EMAIL_RETRY_SECONDS = [
    int(seconds)
    for seconds in env_list("NETGUIDE_EMAIL_RETRY_SECONDS", "60,300,1800,7200,21600")
]
APPOINTMENT_ACCESS_LOG_RETENTION_DAYS = int(
    os.environ.get("NETGUIDE_APPOINTMENT_ACCESS_LOG_RETENTION_DAYS", str(6 * 365))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "netguide": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The worker's line per task (started, finished, failed with its traceback).
        "django.tasks": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
