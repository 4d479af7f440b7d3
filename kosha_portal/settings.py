"""Settings for the kosha portal, read from the environment (see .env.example).

Without any configuration the portal runs on embedded defaults: SQLite, Celery tasks executed
in-process, mail written to files under var/mail. Production sets DJANGO_DEBUG=false and real
DATABASE_URL / REDIS_URL / CELERY_BROKER_URL / EMAIL_* values.
"""

import ipaddress
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from kosha_portal.database import connection_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    # Only usable with DEBUG; production refuses to start without a real key (see below).
    default="dev-only-insecure-key-0c1f3e7b2d9a4e8f9b6a5c4d3e2f1a0b" if DEBUG else "",
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Production sets its own, less obvious path (a deploy check warns about "admin/").
ADMIN_URL = env.str("DJANGO_ADMIN_URL", default="admin/")

# --- Behind the proxy (kosha_portal/clientip.py, docs/architecture.md) ----------------------------
# Which X-Forwarded-For entries to believe. None by default: the client is REMOTE_ADDR and the
# header is ignored. TRUSTED_PROXY_NETWORKS (addresses or CIDR networks of the reverse proxies)
# takes precedence over TRUSTED_PROXY_COUNT (the number of proxies in front of gunicorn).
try:
    TRUSTED_PROXY_NETWORKS = [
        str(ipaddress.ip_network(entry, strict=False))
        for entry in env.list("TRUSTED_PROXY_NETWORKS", default=[])
    ]
except ValueError as exc:
    raise environ.ImproperlyConfigured(f"TRUSTED_PROXY_NETWORKS: {exc}") from exc
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "kosha_portal.japan",
    "kosha_portal.audit",
    "kosha_portal.mail",
    "kosha_portal.documents",
    "kosha_portal.accounts",
    "kosha_portal.privacy",
    "companies",
    "consultations",
    "dispatch",
    "seminars",
    "school",
    "announcements",
    "kosha_portal.reports",
    "kosha_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Refuses an oversized body before anything reads it (REQUEST_BODY_MAX_BYTES).
    "kosha_portal.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff and expert sessions end after STAFF_SESSION_IDLE_MINUTES without a request.
    "kosha_portal.accounts.middleware.StaffSessionTimeoutMiddleware",
    # Staff, administrators and experts reach nothing but the second-factor pages until their
    # session passed it; it also keeps the login index current (kosha_portal.accounts).
    "kosha_portal.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kosha_portal.urls"
WSGI_APPLICATION = "kosha_portal.wsgi.application"

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
                "kosha_portal.context_processors.program",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": connection_settings(env, f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Redis, cache, Celery -----------------------------------------------------------------------
# Redis is a cache, not a dependency of saving: with it unreachable every public form, link and
# login still works (kosha_portal.cache fails soft; the rate limiter fails open), sessions live in
# PostgreSQL and mail waits in the outbox. Short timeouts keep a hung server from holding requests.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kosha_portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kosha"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions in the database: they survive a Redis outage or restart. A visitor without a session
# cookie (every public form: CSRF is a cookie, the thank-you pages use signed URLs) costs no query;
# a session holder costs one indexed SELECT per request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process right after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"  # eager mode never uses it; keeps kombu quiet
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that hands mail to the broker after its commit must not hang on a dead or hung Redis:
# the send is given up quickly (the outbox row stays pending and outbox_flush delivers it later).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,  # one retry on a fresh connection (a pooled one is stale after a restart)
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic jobs; each app adds its own entries in kosha_portal/celery.py's schedule.

# --- Auth and access ----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend that also refuses an expert marked inactive in the registry.
    "kosha_portal.accounts.backends.AccountBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:after_login"
LOGOUT_REDIRECT_URL = "home"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# A lockout holds one user name from one client address: a stranger elsewhere who types the
# desk's (predictable) user name cannot lock the desk out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client address behind the trusted proxies, the same one the rate limiter uses; axes records
# it in its access log (AccessAttempt, AccessLog, AccessFailureLog).
AXES_CLIENT_IP_CALLABLE = "kosha_portal.clientip.client_ip"
AXES_LOCKOUT_CALLABLE = "kosha_portal.accounts.views.locked_out"
# The database handler (the default) keeps attempts in PostgreSQL: lockouts work without Redis.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Every failed password is also kept one by one (time and client address): the account's page in
# the admin and the user's own security page list the latest ones. At most this many per user.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = 300
# Personal links for company contacts (see kosha_portal.accounts).
ACCESS_LINK_LIFETIME_DAYS = env.int("ACCESS_LINK_LIFETIME_DAYS", default=180)

# Second factor (django-otp, TOTP, hashed recovery codes). Staff and administrators always need
# one; experts too unless OTP_REQUIRED_FOR_EXPERTS=false. Company contacts have no password.
OTP_REQUIRED_FOR_EXPERTS = env.bool("OTP_REQUIRED_FOR_EXPERTS", default=True)
# The account name authenticator apps show next to the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="東京都中小企業振興公社")
# After a wrong code the next try waits 1, 2, 4, ... seconds (per device, django-otp).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_RECOVERY_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Recovery codes made at enrolment (each works once).
OTP_RECOVERY_CODE_COUNT = 10
# Removing a device or making new recovery codes asks for the password and a code again unless
# the user did so within this many minutes.
ACCOUNT_REAUTH_MINUTES = env.int("ACCOUNT_REAUTH_MINUTES", default=10)
# Invitations (new staff and expert accounts have no password until the invitee sets one).
ACCOUNT_INVITATION_LIFETIME_HOURS = env.int("ACCOUNT_INVITATION_LIFETIME_HOURS", default=72)
# Password reset links (Django's token) stay valid this long.
PASSWORD_RESET_TIMEOUT = env.int("ACCOUNT_RESET_LINK_MINUTES", default=60) * 60
# Reset requests: per client address, and per target address (which also stops a mailbox from
# being flooded from many addresses); the answer is the same either way.
PASSWORD_RESET_RATE_LIMIT = env.int("ACCOUNT_RESET_RATE_LIMIT", default=5)  # per 15 minutes
PASSWORD_RESET_ADDRESS_RATE_LIMIT = env.int("ACCOUNT_RESET_ADDRESS_RATE_LIMIT", default=3)  # /h
# Second-factor attempts per account in 15 minutes (on top of django-otp's throttling).
OTP_VERIFY_RATE_LIMIT = env.int("OTP_VERIFY_RATE_LIMIT", default=10)

# Every session ends SESSION_HOURS after it began (the absolute limit). Staff and expert sessions
# also end after STAFF_SESSION_IDLE_MINUTES without a request; a personal-link session ends when
# its last link expires or is revoked (kosha_portal.accounts).
SESSION_COOKIE_AGE = int(env.float("SESSION_HOURS", default=8) * 3600)
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static and private files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded attachments and generated PDFs live outside the web root and are only ever served
# through permission-checked views; there is deliberately no MEDIA_URL route.
PRIVATE_FILES_ROOT = Path(env.str("PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_FILES_ROOT
MEDIA_URL = "/private-files-are-not-served/"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        ),
    },
}
# Upload limits, one coherent set: attachments per file and in total (consultations/files.py
# checks them and answers beside the field); the form fields without files (Django refuses more
# with a 400); and the whole request body, refused with the polite 413 page before it is read
# (kosha_portal.middleware). The body limit leaves room for the largest valid submission.
CONSULTATION_MAX_FILE_BYTES = env.int("CONSULTATION_MAX_FILE_BYTES", default=10 * 1024 * 1024)
CONSULTATION_MAX_TOTAL_BYTES = env.int("CONSULTATION_MAX_TOTAL_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024 + 512 * 1024  # Django's default, 2.5 MiB
DATA_UPLOAD_MAX_NUMBER_FILES = 20  # the form takes 5 and says so; more is not a real visitor
REQUEST_BODY_MAX_BYTES = env.int(
    "REQUEST_BODY_MAX_BYTES",
    default=CONSULTATION_MAX_TOTAL_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE + 512 * 1024,
)
if REQUEST_BODY_MAX_BYTES < CONSULTATION_MAX_TOTAL_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE:
    raise environ.ImproperlyConfigured(
        "REQUEST_BODY_MAX_BYTES must leave room for CONSULTATION_MAX_TOTAL_BYTES of attachments "
        "plus DATA_UPLOAD_MAX_MEMORY_SIZE of form fields."
    )
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads are spooled to a temporary file
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Backups (kosha_portal/backups, docs/backups.md) ----------------------------------------------
# Where `manage.py backup` writes its sets (a volume of its own in docker-compose.yml).
BACKUP_ROOT = Path(env.str("BACKUP_ROOT", default=str(VAR_DIR / "backups")))
# Retention: the newest set of each of the last N days, ISO weeks and calendar months is kept.
# The monthly count bounds how long erased personal data can survive in a backup.
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=14)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=8)
BACKUP_KEEP_MONTHLY = env.int("BACKUP_KEEP_MONTHLY", default=12)
# age public key(s) the sets are encrypted for (comma-separated); empty = sets are not encrypted.
BACKUP_AGE_RECIPIENT = env.list("BACKUP_AGE_RECIPIENT", default=[])
# age identity (private key) file, needed only where a set is restored.
BACKUP_AGE_IDENTITY_FILE = env.str("BACKUP_AGE_IDENTITY_FILE", default="")
# Time of day (Japan time) of the scheduled backup (`manage.py backup --schedule`).
BACKUP_DAILY_AT = env.str("BACKUP_DAILY_AT", default="02:30")

# --- Email --------------------------------------------------------------------------------------
# Production sets EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST etc.
# By default mail is written to var/mail as .eml files, and every message can also be read in the
# admin's outbox.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL",
    default="東京都中小企業振興公社 カスハラ対策支援担当 <sien@tokyo-kosha.or.jp>",
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=5)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)
# An email claimed for delivery with no outcome after this long is requeued (its worker died).
# Keep it well above the longest SMTP conversation (several EMAIL_TIMEOUTs): a slow server that is
# still talking when the row is requeued may receive the message twice.
OUTBOX_SENDING_TIMEOUT_SECONDS = env.int("OUTBOX_SENDING_TIMEOUT_SECONDS", default=900)
DESK_DIGEST_RECIPIENTS = env.list("DESK_DIGEST_RECIPIENTS", default=[])

# --- Program announcements (announcements/, docs/announcements.md) --------------------------------
# The version of the notice shown beside every opt-in and on the subscribe page (what is sent,
# by whom, how to stop); recorded with each consent. Change it when the notice's text changes.
ANNOUNCEMENT_NOTICE_VERSION = env.str("ANNOUNCEMENT_NOTICE_VERSION", default="2026-12")
# The subscribe page's confirmation link: valid this long, and at most this many mails a day to
# one address (the page cannot be used to flood a mailbox).
ANNOUNCEMENT_CONFIRM_HOURS = env.int("ANNOUNCEMENT_CONFIRM_HOURS", default=48)
ANNOUNCEMENT_CONFIRM_MAILS_PER_DAY = env.int("ANNOUNCEMENT_CONFIRM_MAILS_PER_DAY", default=3)
# Subscribe-page POSTs per client address per 10 minutes.
ANNOUNCEMENT_SUBSCRIBE_RATE_LIMIT = env.int("ANNOUNCEMENT_SUBSCRIBE_RATE_LIMIT", default=5)
# Sending: messages per SMTP connection (at most 100) and per minute (0: as fast as the server
# takes them). The relay's own limits decide the rate.
ANNOUNCEMENT_BATCH_SIZE = env.int("ANNOUNCEMENT_BATCH_SIZE", default=100)
ANNOUNCEMENT_RATE_PER_MINUTE = env.int("ANNOUNCEMENT_RATE_PER_MINUTE", default=600)
# Senders working on one announcement at once, each on its own SMTP connection (the rate is
# shared between them).
ANNOUNCEMENT_SENDERS = env.int("ANNOUNCEMENT_SENDERS", default=2)
# A sender holds an announcement this long without renewing before another takes over (its
# worker died). At least 10 × EMAIL_TIMEOUT and below OUTBOX_SENDING_TIMEOUT_SECONDS.
ANNOUNCEMENT_SENDER_LEASE_SECONDS = env.int("ANNOUNCEMENT_SENDER_LEASE_SECONDS", default=300)
# How often the periodic job starts due announcements and takes over stopped ones.
ANNOUNCEMENT_DISPATCH_INTERVAL_SECONDS = env.float(
    "ANNOUNCEMENT_DISPATCH_INTERVAL_SECONDS", default=60.0
)
# The mailto of the List-Unsubscribe header: the desk reads it and unsubscribes by the token.
ANNOUNCEMENT_UNSUBSCRIBE_MAILTO = env.str(
    "ANNOUNCEMENT_UNSUBSCRIBE_MAILTO", default="sien@tokyo-kosha.or.jp"
)

# --- PDF ----------------------------------------------------------------------------------------
PDF_FONT_FAMILY = "Noto Sans CJK JP"
PDF_FONT_FILE = env.str(
    "PDF_FONT_FILE", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)
# A render that raises is retried after PDF_RETRY_BASE_SECONDS (doubling) up to PDF_MAX_ATTEMPTS;
# one claimed with no outcome after PDF_RENDER_TIMEOUT_SECONDS is requeued (its worker died).
PDF_MAX_ATTEMPTS = env.int("PDF_MAX_ATTEMPTS", default=3)
PDF_RETRY_BASE_SECONDS = env.int("PDF_RETRY_BASE_SECONDS", default=300)
PDF_RENDER_TIMEOUT_SECONDS = env.int("PDF_RENDER_TIMEOUT_SECONDS", default=900)

# --- Program facts shown in the header (DOMAIN §1) ----------------------------------------------
PROGRAM = {
    "desk_phone": "03-3251-7881",
    "dispatch_phone": "03-3251-7882",
    "email": "sien@tokyo-kosha.or.jp",
    "postal_code": "101-0025",
    "address": "東京都千代田区神田佐久間町1-9 東京都産業労働局秋葉原庁舎5F",
}
# --- Official documents (PDF letterhead, addressee, issuer, signatures; GLOSSARY §address) ------
# Frozen into each document's data when it is requested, so a later change never rewrites a
# document already issued.
DOCUMENTS = {
    "issuer": env.str("DOCUMENT_ISSUER", default="公益財団法人東京都中小企業振興公社"),
    "issuer_department": env.str("DOCUMENT_ISSUER_DEPARTMENT", default="総合支援部 総合支援課"),
    # Whom the experts' reports (実施報告書, 派遣完了報告書) are addressed to.
    "report_addressee": env.str(
        "DOCUMENT_REPORT_ADDRESSEE", default="公益財団法人東京都中小企業振興公社 理事長 殿"
    ),
    # The label inside the reporter's signature box.
    "report_signature_label": env.str(
        "DOCUMENT_REPORT_SIGNATURE_LABEL", default="署名又は記名押印"
    ),
    # Who issues the 修了証: title and name above the seal area.
    "certificate_issuer_title": env.str(
        "DOCUMENT_CERTIFICATE_ISSUER_TITLE", default="公益財団法人東京都中小企業振興公社 理事長"
    ),
    "certificate_issuer_name": env.str("DOCUMENT_CERTIFICATE_ISSUER_NAME", default=""),
    "certificate_program": env.str(
        "DOCUMENT_CERTIFICATE_PROGRAM", default="東京都サービス生産性革新スクール"
    ),
}
# The school's own contact: every school mail (applications, 説明会) signs as the school, not as
# the harassment desk. The leaflet does not publish the school office's number: set it per
# deployment.
SCHOOL_CONTACT = {
    "name": env.str(
        "SCHOOL_CONTACT_NAME", default="総合支援部 総合支援課 東京都サービス生産性革新スクール担当"
    ),
    "phone": env.str("SCHOOL_CONTACT_PHONE", default=""),
    "email": env.str("SCHOOL_CONTACT_EMAIL", default=""),
}
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", default="2026-04")
# --- Retention of personal data (APPI; the policy is docs/privacy.md) ----------------------------
# "Years" count whole fiscal years (April–March) after the end of the fiscal year in which the
# record ended, as Japanese public bodies count document retention; "days" count from the event.
# The daily sweep (kosha_portal.retention) erases or anonymises what is past its period.
RETENTION_CONSULTATION_YEARS = env.int("RETENTION_CONSULTATION_YEARS", default=5)
RETENTION_DISPATCH_YEARS = env.int("RETENTION_DISPATCH_YEARS", default=5)
RETENTION_SEMINAR_YEARS = env.int("RETENTION_SEMINAR_YEARS", default=3)
RETENTION_SCHOOL_YEARS = env.int("RETENTION_SCHOOL_YEARS", default=5)
RETENTION_ORGANISATION_YEARS = env.int("RETENTION_ORGANISATION_YEARS", default=5)
RETENTION_OUTBOX_DAYS = env.int("RETENTION_OUTBOX_DAYS", default=180)
# An unsubscribed (or bounced) announcement subscriber keeps their address and consent records
# this long (特定電子メール法: the record of consent is kept at least one month after the last
# mail sent under it), then only a keyed hash stays in the suppression list.
RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS = env.int(
    "RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS", default=60
)
# Subscribe-page requests (address, client address) once confirmed or expired.
RETENTION_ANNOUNCEMENT_REQUEST_DAYS = env.int("RETENTION_ANNOUNCEMENT_REQUEST_DAYS", default=7)
RETENTION_ACCESS_LINK_DAYS = env.int("RETENTION_ACCESS_LINK_DAYS", default=90)
RETENTION_AUDIT_YEARS = env.int("RETENTION_AUDIT_YEARS", default=10)
RETENTION_ACCESS_LOG_YEARS = env.int("RETENTION_ACCESS_LOG_YEARS", default=3)
RETENTION_LOGIN_LOG_DAYS = env.int("RETENTION_LOGIN_LOG_DAYS", default=365)
RETENTION_PRIVACY_REQUEST_YEARS = env.int("RETENTION_PRIVACY_REQUEST_YEARS", default=5)
# Files under PRIVATE_FILES_ROOT that no record refers to are deleted once this old (an upload
# whose transaction is still running has not been referred to yet).
RETENTION_ORPHAN_FILE_HOURS = env.int("RETENTION_ORPHAN_FILE_HOURS", default=24)
# Records handled per transaction by the sweep.
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=200)
CONSULTATION_MIN_FILL_SECONDS = env.float("CONSULTATION_MIN_FILL_SECONDS", default=3)
CONSULTATION_RATE_LIMIT = env.int(
    "CONSULTATION_RATE_LIMIT", default=5
)  # intake POSTs per IP per minute

# How old the stored figures on the program reports page may be before a view recomputes them;
# a periodic task (kosha_portal/celery.py) refreshes this year's and last year's every 10 minutes.
REPORTS_SNAPSHOT_MAX_AGE_MINUTES = env.int("REPORTS_SNAPSHOT_MAX_AGE_MINUTES", default=15)
# The program's name on the annual report's cover.
REPORTS_PROGRAM_NAME = env.str(
    "REPORTS_PROGRAM_NAME", default="カスタマーハラスメント対策に向けた経営支援事業"
)

# --- Crispy forms -------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
FORM_RENDERER = "kosha_portal.forms.PortalFormRenderer"

# --- Security -----------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Django's admin still sets a few inline style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SESSION_COOKIE_NAME = "__Secure-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"

# --- Logging: no personal data; tokens in paths are redacted ------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "kosha_portal.logging.RedactPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
