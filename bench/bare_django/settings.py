"""Settings of the bare comparison site (bench only; never deployed)."""

import os

import environ

from kosha_portal.database import connection_settings

env = environ.Env()
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-bare-only-secret-key-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = ["bench.bare_django"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
ROOT_URLCONF = "bench.bare_django.site"
# The portal's connection settings (persistent connections, health checks, prepared statements).
DATABASES = {"default": connection_settings(env, "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Tokyo"
TEMPLATES = []
LOGGING_CONFIG = None
WSGI_APPLICATION = "bench.bare_django.wsgi.application"
