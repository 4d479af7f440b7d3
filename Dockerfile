# The portal's image: web (gunicorn), Celery worker and beat all run from it (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango/HarfBuzz; fonts-noto-cjk provides the embedded Japanese PDF font
# (PDF_FONT_FILE); gettext is needed by compilemessages; pg_dump/pg_restore (the same major
# version as the postgres:15 service) and age are used by manage.py backup / restore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-noto-cjk gettext \
        postgresql-client-15 age \
    && rm -rf /var/lib/apt/lists/* \
    && fc-cache -f

WORKDIR /app

# The runtime lock only (`make lock`): the whole tree pinned with hashes, so pip resolves nothing
# and refuses any download whose hash differs. The dev lock (tests, lint) never enters the image.
COPY requirements/runtime.lock requirements/
RUN pip install --require-hashes --no-deps -r requirements/runtime.lock \
    && pip check

COPY . .

# Fails the build if anything not in the runtime lock is installed (pytest, Playwright, ruff...).
RUN python scripts/check_installed.py requirements/runtime.lock

# Build-time only: settings refuse to load without a secret when DEBUG is off. This value never
# reaches a running container (it is not an ENV line).
RUN DJANGO_DEBUG=true python manage.py compilemessages --ignore=.venv -v 0 \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-time-dummy-secret-not-used-at-runtime \
       python manage.py collectstatic --noinput -v 0

RUN groupadd --system --gid 10001 kosha \
    && useradd --system --uid 10001 --gid kosha --home-dir /app --shell /usr/sbin/nologin kosha \
    && mkdir -p /app/var /data/private /data/backups \
    && chown -R kosha:kosha /app/var /data/private /data/backups \
    && chmod 0700 /data/backups

USER kosha

ENV PRIVATE_FILES_ROOT=/data/private \
    BACKUP_ROOT=/data/backups \
    GUNICORN_BIND=0.0.0.0:8000

EXPOSE 8000

CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "kosha_portal.wsgi:application"]
