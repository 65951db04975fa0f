"""Django settings, read from the environment (documented in docs/configuration.md)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from goteo.channels.email.webhook_config import webhook_settings
from goteo.config import database_settings, dkim_mode, email_settings, load_settings_file
from goteo.measurement_config import attribution_window, default_currency
from goteo.worker.domain_limits import parse_domain_limits
from goteo.worker.pacing_config import check_pacing
from goteo.worker.rate_limits import connection_count, parse_rate_limits

load_settings_file(os.environ.get("GOTEO_SETTINGS_FILE"))

DATA_DIR = Path(os.environ.get("GOTEO_DATA_DIR", ".goteo")).resolve()
SECRET_KEY = os.environ.get("GOTEO_SECRET_KEY", "goteo-insecure-development-key-change-me")
DEBUG = os.environ.get("GOTEO_DEBUG", "") == "1"
BASE_URL = os.environ.get("GOTEO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
GOTEO_FROM = os.environ.get("GOTEO_FROM", "Goteo <goteo@localhost>")
GOTEO_API_KEY = os.environ.get("GOTEO_API_KEY", "")
GOTEO_MAILBOX = os.environ.get("GOTEO_MAILBOX", "")  # the demo mail catcher Maildir
GOTEO_OUTBOX_PAGE = os.environ.get("GOTEO_OUTBOX_PAGE", "") == "1"
# Deliverability (docs/deliverability.md): where bounces come back, the sender's postal address.
GOTEO_RETURN_PATH_DOMAIN = os.environ.get("GOTEO_RETURN_PATH_DOMAIN", "")
GOTEO_POSTAL_ADDRESS = os.environ.get("GOTEO_POSTAL_ADDRESS", "")
# Phone numbers written without a country code are read in this region (ES, US, …).
GOTEO_DEFAULT_REGION = os.environ.get("GOTEO_DEFAULT_REGION", "").strip().upper()
# Bounces and complaints (docs/deliverability.md): soft bounces before an address is
# suppressed, sent messages before a campaign's complaint rate is judged, and how old a signed
# webhook timestamp may be (0: not checked).
GOTEO_SOFT_BOUNCE_LIMIT = int(os.environ.get("GOTEO_SOFT_BOUNCE_LIMIT", "3"))
GOTEO_COMPLAINT_MIN_SENT = int(os.environ.get("GOTEO_COMPLAINT_MIN_SENT", "300"))
GOTEO_WEBHOOK_MAX_AGE = int(os.environ.get("GOTEO_WEBHOOK_MAX_AGE", "300"))
# Refused (forged) webhooks of one provider that make a WARNING: this many within this many
# seconds, in one web process (goteo.web.webhooks.refusals).
GOTEO_WEBHOOK_WARN_AFTER = int(os.environ.get("GOTEO_WEBHOOK_WARN_AFTER", "10"))
GOTEO_WEBHOOK_WARN_WINDOW = int(os.environ.get("GOTEO_WEBHOOK_WARN_WINDOW", "300"))
# Outgoing webhooks (webhook steps, CRM hand-off) are signed with this (SECRET_KEY if empty).
GOTEO_WEBHOOK_SIGNING_SECRET = os.environ.get("GOTEO_WEBHOOK_SIGNING_SECRET", "")
# SMS (docs/sms.md): the provider, and the answer to a HELP text message.
GOTEO_SMS_URL = os.environ.get("GOTEO_SMS_URL", "").strip()
GOTEO_SMS_HELP_TEXT = os.environ.get(
    "GOTEO_SMS_HELP_TEXT", "Reply STOP to stop these messages, START to get them again."
)
# Where webhook calls go: http: (each step's target), memory: or folder:/path (docs/channels.md).
GOTEO_WEBHOOK_URL = os.environ.get("GOTEO_WEBHOOK_URL", "http:")
# Non-public networks webhooks may reach all the same (127.0.0.1/32,10.0.0.0/8); none by default.
GOTEO_WEBHOOK_ALLOW = os.environ.get("GOTEO_WEBHOOK_ALLOW", "")
# Direct mail (docs/direct-mail.md): the print provider (folder:/path or lob://KEY@host; empty:
# no mail channel), the return address as JSON (the print API needs it), and the secret that
# signs the print API's status webhooks; what each mailer costs, as JSON per format and country.
GOTEO_MAIL_URL = os.environ.get("GOTEO_MAIL_URL", "")
GOTEO_MAIL_PRICES = os.environ.get("GOTEO_MAIL_PRICES", "")
GOTEO_MAIL_SENDER = os.environ.get("GOTEO_MAIL_SENDER", "")
GOTEO_MAIL_WEBHOOK_SECRET = os.environ.get("GOTEO_MAIL_WEBHOOK_SECRET", "")
# Where notify steps for "owner" go when the contact has no owner yet.
GOTEO_SALES_ADDRESS = os.environ.get("GOTEO_SALES_ADDRESS", "")
# Public forms (docs/forms.md): submissions per IP per 10 minutes and per address per hour,
# confirmation emails per address per day, and the reverse proxies whose X-Forwarded-For counts.
GOTEO_FORM_LIMIT_PER_IP = int(os.environ.get("GOTEO_FORM_LIMIT_PER_IP", "10"))
GOTEO_FORM_LIMIT_PER_ADDRESS = int(os.environ.get("GOTEO_FORM_LIMIT_PER_ADDRESS", "3"))
GOTEO_CONFIRMATIONS_PER_DAY = int(os.environ.get("GOTEO_CONFIRMATIONS_PER_DAY", "3"))
GOTEO_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("GOTEO_TRUSTED_PROXIES", "").split(",") if p.strip()
]
# Tracking (docs/tracking.md): the sites whose pages may send events to /t/collect (comma
# list of origins; empty: this server's own pages only), and open/click tracking of email.
GOTEO_TRACKING_ORIGINS = [
    o.strip().rstrip("/")
    for o in os.environ.get("GOTEO_TRACKING_ORIGINS", "").split(",")
    if o.strip()
]
_OFF = ("0", "false", "off", "no")
GOTEO_TRACK_OPENS = os.environ.get("GOTEO_TRACK_OPENS", "1").strip().lower() not in _OFF
GOTEO_TRACK_CLICKS = os.environ.get("GOTEO_TRACK_CLICKS", "1").strip().lower() not in _OFF
# The exposure ledger (docs/measurement.md); off only to measure what it costs.
GOTEO_EXPOSURE_LEDGER = os.environ.get("GOTEO_EXPOSURE_LEDGER", "1").strip().lower() not in _OFF
# CSRF protects the hosted form pages only (a decorator, not the middleware).
CSRF_FAILURE_VIEW = "goteo.web.public.forms.csrf_failure"
_BASE = urlsplit(BASE_URL)
CSRF_TRUSTED_ORIGINS = [f"{_BASE.scheme}://{_BASE.netloc}"] if _BASE.netloc else []
# DKIM signing of SMTP mail (docs/deliverability.md): on by default with a key Goteo makes in
# DATA_DIR; a selector and a PEM private key of your own win; the domain defaults to From's.
GOTEO_DKIM = dkim_mode(os.environ.get("GOTEO_DKIM", "auto"))
GOTEO_DKIM_SELECTOR = os.environ.get("GOTEO_DKIM_SELECTOR", "")
GOTEO_DKIM_PRIVATE_KEY_FILE = os.environ.get("GOTEO_DKIM_PRIVATE_KEY_FILE", "")
GOTEO_DKIM_DOMAIN = os.environ.get("GOTEO_DKIM_DOMAIN", "")
ALLOWED_HOSTS = [h for h in os.environ.get("GOTEO_ALLOWED_HOSTS", "*").split(",") if h]
# Pacing across campaigns (docs/pacing.md): "2/7d" messages per contact, "21:00-08:00" quiet.
GOTEO_FREQUENCY_CAP = os.environ.get("GOTEO_FREQUENCY_CAP", "").strip()
GOTEO_QUIET_HOURS = os.environ.get("GOTEO_QUIET_HOURS", "").strip()
check_pacing(GOTEO_FREQUENCY_CAP, GOTEO_QUIET_HOURS)  # a bad value stops every command at start
# Messages a second per channel and worker, like email:50,webhook:5 (docs/channels.md).
GOTEO_RATE_LIMITS = os.environ.get("GOTEO_RATE_LIMITS", "").strip()
parse_rate_limits(GOTEO_RATE_LIMITS)
# Email per recipient domain and worker, like gmail.com:600/min,yahoo.com:20/s (docs/channels.md).
GOTEO_DOMAIN_LIMITS = os.environ.get("GOTEO_DOMAIN_LIMITS", "").strip()
parse_domain_limits(GOTEO_DOMAIN_LIMITS)
# SMTP connections (and provider clients) each worker sends through at once (docs/channels.md).
GOTEO_EMAIL_CONNECTIONS = connection_count(os.environ.get("GOTEO_EMAIL_CONNECTIONS", "1"))
# Conversions (docs/measurement.md): the events that are purchases, how long before one a touch
# still earns the credit, and the currency of a value sent without one.
GOTEO_CONVERSION_EVENTS = [
    n.strip() for n in os.environ.get("GOTEO_CONVERSION_EVENTS", "purchase").split(",") if n.strip()
]
GOTEO_ATTRIBUTION_WINDOW = os.environ.get("GOTEO_ATTRIBUTION_WINDOW", "7d").strip()
GOTEO_DEFAULT_CURRENCY = os.environ.get("GOTEO_DEFAULT_CURRENCY", "USD").strip().upper()
attribution_window(GOTEO_ATTRIBUTION_WINDOW)  # bad values stop every command at start
default_currency(GOTEO_DEFAULT_CURRENCY)

# The web app's login rate limit (docs/console.md): failed sign-ins per 15 minutes, per
# address and per username.
GOTEO_LOGIN_LIMIT_PER_IP = int(os.environ.get("GOTEO_LOGIN_LIMIT_PER_IP", "20"))
GOTEO_LOGIN_LIMIT_PER_USER = int(os.environ.get("GOTEO_LOGIN_LIMIT_PER_USER", "5"))

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "django_htmx",
    "goteo.contacts",
    "goteo.campaigns",
    "goteo.accounts",
    "goteo.social",
    "goteo.web",
    "goteo.console",
]
# Sessions, sign-in, language and CSRF act on /app/ only (goteo.console.middleware): the
# public pages set no cookie.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "goteo.web.http.request_guard.RefuseUnreadableRequests",
    "django.middleware.common.CommonMiddleware",
    "goteo.console.middleware.ConsoleSessionMiddleware",
    "goteo.console.middleware.ConsoleLocaleMiddleware",
    "goteo.console.middleware.ConsoleCsrfMiddleware",
    "goteo.console.middleware.ConsoleAuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
_SECURE = _BASE.scheme == "https"
SESSION_COOKIE_NAME = "goteo_app"
SESSION_COOKIE_PATH = "/app/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _SECURE
SESSION_COOKIE_AGE = 12 * 3600
LANGUAGE_COOKIE_PATH = "/app/"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = _SECURE
LANGUAGE_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = _SECURE
LOGIN_URL = "/app/login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
] + [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    }
]
PASSWORD_RESET_TIMEOUT = 3600
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True  # served from the installed package: no collectstatic step
ROOT_URLCONF = "goteo.web.urls"
WSGI_APPLICATION = "goteo.web.ops.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

# Behind PgBouncer in transaction mode (docs/scaling.md#pgbouncer-in-transaction-mode): no
# server-side cursors for .iterator() reads, and, before PgBouncer 1.21 (or without its
# max_prepared_statements), no prepared statement for the events ingest.
GOTEO_DATABASE_SERVER_CURSORS = (
    os.environ.get("GOTEO_DATABASE_SERVER_CURSORS", "1").strip().lower() not in _OFF
)
GOTEO_DATABASE_PREPARE = os.environ.get("GOTEO_DATABASE_PREPARE", "1").strip().lower() not in _OFF
DATABASES = {
    "default": database_settings(
        os.environ.get("GOTEO_DATABASE_URL"),
        DATA_DIR,
        server_cursors=GOTEO_DATABASE_SERVER_CURSORS,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [DATA_DIR / "locale"]  # the web app's catalogues, compiled at start

EMAIL_CONFIG = email_settings(os.environ.get("GOTEO_EMAIL_URL", "console:"))
EMAIL_BACKEND = EMAIL_CONFIG.django_backend
# Sending settings, plus the webhook credentials (GOTEO_WEBHOOK_SECRET and signing keys).
ANYMAIL = {**EMAIL_CONFIG.anymail, **webhook_settings(os.environ)}

# Warnings and errors by default, and the worker's progress line (GOTEO_LOG_LEVEL, when set,
# applies to that too: WARNING silences it, INFO or DEBUG show more).
_LOG_LEVEL = os.environ.get("GOTEO_LOG_LEVEL", "").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "console": {
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            "datefmt": "%Y-%m-%d %H:%M:%S",
        }
    },
    # Refused requests are one line at INFO (goteo.web.ops.log_levels).
    "filters": {"client_errors": {"()": "goteo.web.ops.log_levels.ClientErrorsAtInfo"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "console",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL or "WARNING"},
    "loggers": {"goteo.worker.progress": {"level": _LOG_LEVEL or "INFO"}},
}
