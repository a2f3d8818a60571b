"""Clientela's one settings module, driven by environment variables.

Every setting a deployment may change is read from a ``CLIENTELA_*`` (or the usual
``DATABASE_URL``/``SECRET_KEY``) environment variable; the defaults give the embedded
single-file SQLite install.
"""

import importlib.util
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent


def _default_data_dir() -> Path:
    """``data/`` in the project folder (the checkout holding ``pyproject.toml``), whatever
    folder a command runs from; an installed package's is the user's data folder."""
    project = BASE_DIR.parent
    if (project / "pyproject.toml").is_file():
        return project / "data"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "clientela"


DATA_DIR = Path(os.environ.get("CLIENTELA_DATA_DIR") or _default_data_dir()).resolve()

# What Clientela creates (the data folder, the SQLite file, uploads, exports, backups)
# holds customers' personal data: readable and writable by the user it runs as only.
os.umask(0o077)


def _secret_key() -> str:
    """Use SECRET_KEY, else a key generated once and kept in the data folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("CLIENTELA_DEBUG")
ALLOWED_HOSTS = _env_list("CLIENTELA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("CLIENTELA_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "axes",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "clientela.core",
    "clientela.customers",
    "clientela.orders",
    "clientela.events",
    "clientela.webhooks",
    "clientela.mail",
    "clientela.analytics",
    "clientela.relations",
    "clientela.campaigns",
    "clientela.imports",
    "clientela.web",
    "clientela.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "clientela.core.middleware.refuse_unstorable_characters",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clientela.core.middleware.no_store_when_private",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "clientela.core.busy.BusyDatabaseMiddleware",
]

# Django Ninja is not an installed app: installing it loads ninja and pydantic at every
# command's start (a seventh of a second), while only the API needs them. The Swagger
# UI's page and files it ships are found here instead (clientela.core.api.LocalSwagger).
_NINJA_FILES = Path(importlib.util.find_spec("ninja").origin).parent

ROOT_URLCONF = "clientela.urls"
WSGI_APPLICATION = "clientela.wsgi.application"
ASGI_APPLICATION = "clientela.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [_NINJA_FILES / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "clientela.web.context_processors.navigation",
            ],
        },
    },
]

# Database: one SQLite file by default, PostgreSQL (or any URL) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'clientela.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A page cache of up to 64 MB a connection (SQLite's default is 2 MB): a large
    # import inserts into dozens of indexes, and re-read their pages from disk.
    # A writer waits this long for the one before it (SQLite takes one at a time), then
    # is answered 503 "busy, try again" (core/busy.py).
    CLIENTELA_DB_BUSY_SECONDS = int(os.environ.get("CLIENTELA_DB_BUSY_SECONDS", "15"))
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        f" PRAGMA busy_timeout={CLIENTELA_DB_BUSY_SECONDS * 1000}; PRAGMA foreign_keys=ON;"
        " PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "clientela.core.signin.SignInBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): five failures lock the username from that address.
AXES_FAILURE_LIMIT = int(os.environ.get("CLIENTELA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CLIENTELA_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Beyond that (clientela/core/signin.py): failures from one address whatever the user
# names, and failures of one user name from any addresses, over the same cool-off time.
CLIENTELA_LOGIN_ADDRESS_LIMIT = int(os.environ.get("CLIENTELA_LOGIN_ADDRESS_LIMIT", "20"))
CLIENTELA_LOGIN_USER_LIMIT = int(os.environ.get("CLIENTELA_LOGIN_USER_LIMIT", "50"))
# Reverse proxies in front of Clientela (addresses or networks): a request from one is
# taken to come from the address it forwards (clientela/core/network.py).
try:
    CLIENTELA_TRUSTED_PROXIES = [
        str(ipaddress.ip_network(proxy, strict=False))
        for proxy in _env_list("CLIENTELA_TRUSTED_PROXIES", "")
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"CLIENTELA_TRUSTED_PROXIES: {error}") from error
AXES_CLIENT_IP_CALLABLE = "clientela.core.network.client_address"

# Internationalisation: English, Spanish and Russian; a user who has chosen none gets the
# browser's (Accept-Language), then CLIENTELA_LANGUAGE.
LANGUAGE_CODE = os.environ.get("CLIENTELA_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("CLIENTELA_TIME_ZONE", "America/Mexico_City")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
# Numbers and dates follow the language in the business's country (es-MX, es-ES, ru-RU):
# see clientela/core/locale.py.
FORMAT_MODULE_PATH = ["clientela.core.formats"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # collectstatic's target; whitenoise also finds app files
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [_NINJA_FILES / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security: CSRF everywhere, a strict content security policy, cookies that scripts
# cannot read; behind HTTPS (CLIENTELA_HTTPS=1) cookies are Secure and HSTS is on.
HTTPS = _env_bool("CLIENTELA_HTTPS")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# One line per record on standard error; a refused request (403, 404, 422…) is a line,
# not a traceback (clientela.core.log).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusals": {"()": "clientela.core.log.RefusalsOnOneLine"},
        "secrets": {"()": "clientela.core.log.SecretsMasked"},
    },
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["refusals", "secrets"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CLIENTELA_LOG_LEVEL", "WARNING")},
}

# Background work (webhook deliveries, imports, analyses): queued in the database, one
# queue per kind, each run by its own `clientela worker`, which `clientela serve` starts
# beside the web server (core.background).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "webhooks", "mail", "imports", "analyses"],
    }
}

# Outgoing e-mail (clientela.mail, decision 0015): SMTP from EMAIL_URL
# (smtp://user:password@host:587/?tls=True, smtps://user:password@host:465), else each
# message an .eml file in the data folder's outbox/. Always sent by the worker.
CLIENTELA_EMAIL_OUTBOX = DATA_DIR / "outbox"
if email_url := os.environ.get("EMAIL_URL"):
    _email = dj_email_url.parse(email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 30
else:
    EMAIL_BACKEND = "clientela.mail.backends.OutboxFolderBackend"
_email_from = os.environ.get("CLIENTELA_EMAIL_FROM", "clientela@localhost")
_email_from_name = os.environ.get("CLIENTELA_EMAIL_FROM_NAME", "Clientela")
DEFAULT_FROM_EMAIL = f"{_email_from_name} <{_email_from}>" if _email_from_name else _email_from
# The business as its customers see it: the sender's name of its e-mail.
CLIENTELA_BUSINESS_NAME = _email_from_name or "Clientela"

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# The business: where it is (the country of new customers, and the one whose way of
# writing numbers, money and dates each language follows: es-MX, es-ES…), which phone
# region and currency it works in by default.
CLIENTELA_DEFAULT_COUNTRY = os.environ.get("CLIENTELA_DEFAULT_COUNTRY", "MX")
CLIENTELA_PHONE_REGION = os.environ.get("CLIENTELA_PHONE_REGION", CLIENTELA_DEFAULT_COUNTRY)
CLIENTELA_CURRENCY = os.environ.get("CLIENTELA_CURRENCY", "MXN")
# When on, a salesperson sees and edits only the customers they own.
CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = _env_bool("CLIENTELA_SALES_OWN_CUSTOMERS_ONLY")
# When on, webhooks may go to this machine or a private network (clientela/webhooks/network.py).
CLIENTELA_WEBHOOKS_ALLOW_PRIVATE = _env_bool("CLIENTELA_WEBHOOKS_ALLOW_PRIVATE")
CLIENTELA_PAGE_SIZE = 25
# Relationship work: a customer who wrote or called us on a channel may be answered on
# it for this many days even without consent to it; the morning digest goes out at
# this hour (local time); the dashboard's "no contact" lists look this many days back.
CLIENTELA_CONSENT_REPLY_DAYS = int(os.environ.get("CLIENTELA_CONSENT_REPLY_DAYS", "14"))
CLIENTELA_DIGEST_HOUR = int(os.environ.get("CLIENTELA_DIGEST_HOUR", "7"))
CLIENTELA_NO_CONTACT_DAYS = int(os.environ.get("CLIENTELA_NO_CONTACT_DAYS", "60"))
# Where customers reach this site, for links in e-mail sent without a request (a
# campaign's unsubscribe link): the scheme, host and port, no trailing slash.
CLIENTELA_BASE_URL = os.environ.get("CLIENTELA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Campaigns: only the owner launches an e-mail campaign to more customers than this.
CLIENTELA_CAMPAIGN_EMAIL_LIMIT = int(os.environ.get("CLIENTELA_CAMPAIGN_EMAIL_LIMIT", "500"))
# Lists count matches up to this many; beyond it they say "more than" and page that far.
CLIENTELA_COUNT_LIMIT = int(os.environ.get("CLIENTELA_COUNT_LIMIT", "1000"))

# Customer analytics (`clientela analyze`, the scheduled task and the owner's button).
# Purchase models to fit (bgnbd, paretonbd, gammagamma) and the one that scores customers.
CLIENTELA_ANALYTICS_MODELS = _env_list("CLIENTELA_ANALYTICS_MODELS", "bgnbd,paretonbd,gammagamma")
CLIENTELA_ANALYTICS_PURCHASE_MODEL = os.environ.get("CLIENTELA_ANALYTICS_PURCHASE_MODEL", "bgnbd")
# Fewer customers with repeat purchases than this: the models are skipped, not fitted.
CLIENTELA_ANALYTICS_MIN_REPEAT_BUYERS = int(
    os.environ.get("CLIENTELA_ANALYTICS_MIN_REPEAT_BUYERS", "20")
)
# Expected purchases over the next this many days; lifetime value over this many months,
# discounted at this monthly rate.
CLIENTELA_ANALYTICS_HORIZON_DAYS = int(os.environ.get("CLIENTELA_ANALYTICS_HORIZON_DAYS", "90"))
CLIENTELA_ANALYTICS_CLV_MONTHS = int(os.environ.get("CLIENTELA_ANALYTICS_CLV_MONTHS", "12"))
CLIENTELA_ANALYTICS_MONTHLY_DISCOUNT_RATE = float(
    os.environ.get("CLIENTELA_ANALYTICS_MONTHLY_DISCOUNT_RATE", "0.01")
)
# Pareto classes (A: 80% of revenue, B: up to 95%) over the revenue of the last months.
CLIENTELA_ANALYTICS_PARETO_MONTHS = int(os.environ.get("CLIENTELA_ANALYTICS_PARETO_MONTHS", "12"))
# At risk / lost by the model: probability alive below these.
CLIENTELA_ANALYTICS_AT_RISK_ALIVE = float(
    os.environ.get("CLIENTELA_ANALYTICS_AT_RISK_ALIVE", "0.5")
)
CLIENTELA_ANALYTICS_LOST_ALIVE = float(os.environ.get("CLIENTELA_ANALYTICS_LOST_ALIVE", "0.2"))
# At risk / lost by rule: no purchase for this many times the customer's usual interval.
CLIENTELA_ANALYTICS_AT_RISK_INTERVALS = float(
    os.environ.get("CLIENTELA_ANALYTICS_AT_RISK_INTERVALS", "2")
)
CLIENTELA_ANALYTICS_LOST_INTERVALS = float(
    os.environ.get("CLIENTELA_ANALYTICS_LOST_INTERVALS", "3")
)
# The customer ladder (clientela/analytics/stats/ladder.py explains each rule).
CLIENTELA_ANALYTICS_LADDER_WINDOW_DAYS = int(
    os.environ.get("CLIENTELA_ANALYTICS_LADDER_WINDOW_DAYS", "365")
)
CLIENTELA_ANALYTICS_REGULAR_MIN_PURCHASES = int(
    os.environ.get("CLIENTELA_ANALYTICS_REGULAR_MIN_PURCHASES", "4")
)
CLIENTELA_ANALYTICS_REGULAR_MAX_VARIATION = float(
    os.environ.get("CLIENTELA_ANALYTICS_REGULAR_MAX_VARIATION", "0.5")
)
CLIENTELA_ANALYTICS_REGULAR_MAX_SILENCE = float(
    os.environ.get("CLIENTELA_ANALYTICS_REGULAR_MAX_SILENCE", "3")
)
CLIENTELA_ANALYTICS_EXCLUSIVE_MIN_SHARE = float(
    os.environ.get("CLIENTELA_ANALYTICS_EXCLUSIVE_MIN_SHARE", "90")
)
CLIENTELA_ANALYTICS_ADVOCATE_MIN_REFERRALS = int(
    os.environ.get("CLIENTELA_ANALYTICS_ADVOCATE_MIN_REFERRALS", "1")
)
# Spreadsheets larger than this (in MB) are refused before they are read.
CLIENTELA_IMPORT_MAX_MB = int(os.environ.get("CLIENTELA_IMPORT_MAX_MB", "100"))
# Scores of every analysis are kept this many days; of older ones, each month's last.
CLIENTELA_ANALYTICS_KEEP_DAILY_DAYS = int(
    os.environ.get("CLIENTELA_ANALYTICS_KEEP_DAILY_DAYS", "35")
)
# Customers without purchases from these sources (or referred by someone, or with a
# quote) are potential customers; the others are possible ones.
CLIENTELA_ANALYTICS_PROSPECT_SOURCES = _env_list(
    "CLIENTELA_ANALYTICS_PROSPECT_SOURCES", "walk_in,event,referral,web,phone,social"
)
# `clientela serve` enqueues the analysis once a day at this local time ("HH:MM") unless
# a run already finished that day; empty: no daily run.
CLIENTELA_ANALYTICS_DAILY_AT = os.environ.get("CLIENTELA_ANALYTICS_DAILY_AT", "03:00")

# Backups (`clientela backup` and `restore`): `clientela serve`'s scheduler writes one a
# day into this folder (put it on another disk) and keeps this many; 0: none.
CLIENTELA_BACKUP_DIR = Path(os.environ.get("CLIENTELA_BACKUP_DIR") or DATA_DIR / "backups")
CLIENTELA_BACKUP_KEEP = int(os.environ.get("CLIENTELA_BACKUP_KEEP", "7"))
