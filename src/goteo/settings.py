"""Django settings, read from the environment (documented in docs/configuration.md)."""

from __future__ import annotations

import os
from pathlib import Path

from goteo.config import database_settings, email_settings, load_settings_file

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
ALLOWED_HOSTS = [h for h in os.environ.get("GOTEO_ALLOWED_HOSTS", "*").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "goteo.contacts",
    "goteo.campaigns",
    "goteo.web",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "goteo.web.urls"
WSGI_APPLICATION = "goteo.web.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

DATABASES = {"default": database_settings(os.environ.get("GOTEO_DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"

EMAIL_CONFIG = email_settings(os.environ.get("GOTEO_EMAIL_URL", "console:"))
EMAIL_BACKEND = EMAIL_CONFIG.django_backend
ANYMAIL = EMAIL_CONFIG.anymail

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GOTEO_LOG_LEVEL", "WARNING")},
}
