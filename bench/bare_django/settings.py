"""Settings of the bare comparison site (bench only; never deployed)."""

import os

import environ

env = environ.Env()
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-bare-only-secret-key-0123456789abcdef")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = ["bench.bare_django"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
ROOT_URLCONF = "bench.bare_django.site"
DATABASES = {"default": env.db("DATABASE_URL")}
# The same persistent connections as the portal (kosha_portal/settings.py).
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Tokyo"
TEMPLATES = []
LOGGING_CONFIG = None
WSGI_APPLICATION = "bench.bare_django.wsgi.application"
