"""NET Guide settings: one module, configured by the environment.

Safe by default: DEBUG is off unless DJANGO_DEBUG is set, and outside DEBUG
there is no default secret key.
"""

import os
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
    "netguide.apps.NetGuideAdminConfig",
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
    "treatments",
    "appointments",
]

MIDDLEWARE = [
    "netguide.middleware.RequestSizeLimitMiddleware",
    "netguide.middleware.FormCharsetMiddleware",
    # Compresses every HTML answer, cached ones too; its random padding (Heal The
    # Breach) and CSRF's per-response token mask keep BREACH away from the forms.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "netguide.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the page cache: /es/ addresses resolve in the language they name.
    "netguide.middleware.LocaleMiddleware",
    "netguide.page_cache.PageCacheMiddleware",
    "netguide.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
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
# `unaccent` is set.
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
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long a rendered public page may be served from the cache (approvals
# invalidate it at once) and what a CDN or browser may keep.
PAGE_CACHE_SECONDS = int(os.environ.get("NETGUIDE_PAGE_CACHE_SECONDS", "3600"))
PUBLIC_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"

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
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD")  # opt in: see README
# Preloading is a deliberate, hard-to-undo choice for the domain owner (README).
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

# Published files (netguide/static_site.py): where approved public pages are written for
# nginx, and other trees (another edge or region) each build is copied to. Unset: off.
PUBLISH_DIR = os.environ.get("NETGUIDE_PUBLISH_DIR", "")
PUBLISH_MIRRORS = env_list("NETGUIDE_PUBLISH_MIRRORS")

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
APPOINTMENT_DUPLICATE_WINDOW_DAYS = 7
APPOINTMENT_ACCESS_LOG_RETENTION_DAYS = int(
    os.environ.get("NETGUIDE_APPOINTMENT_ACCESS_LOG_RETENTION_DAYS", str(6 * 365))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "netguide": {"handlers": ["console"], "level": "INFO", "propagate": False}
    },
}
