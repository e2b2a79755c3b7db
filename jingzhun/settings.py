"""Django settings. Everything secret or site-specific comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from jingzhun import dburl

BASE_DIR = Path(__file__).resolve().parent
DEBUG = os.environ.get("JINGZHUN_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("JINGZHUN_SECRET_KEY") or (
    "insecure-development-only" if DEBUG or os.environ.get("JINGZHUN_DEV") == "1" else ""
)
if not SECRET_KEY:
    # Commands that never sign anything (import, export) still need a value to start Django.
    SECRET_KEY = "unset-" + os.urandom(16).hex()
ALLOWED_HOSTS = [h for h in os.environ.get("JINGZHUN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "jingzhun.core",
    "jingzhun.areas",
    "jingzhun.registry",
    "jingzhun.audit",
    "jingzhun.organisation",
    "jingzhun.teams",
    "jingzhun.identification",
    "jingzhun.crosscheck",
    "jingzhun.appraisal",
    "jingzhun.plans",
    "jingzhun.evaluation",
    "jingzhun.assessment",
    "jingzhun.monitoring",
    "jingzhun.reports",
    "jingzhun.jobs",
    "jingzhun.training",
    "jingzhun.talent",
    "jingzhun.branches",
    "jingzhun.maps",
    "jingzhun.web",
    "jingzhun.demo",
    "jingzhun.api",
    "jingzhun.mobile",
    "ninja",  # the API reference page's template and static files (Swagger UI, served from 'self')
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jingzhun.web.middleware.no_nul_characters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jingzhun.web.middleware.chinese_first",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jingzhun.web.middleware.content_security_policy",
]
ROOT_URLCONF = "jingzhun.urls"
CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "jingzhun.web.context.layout",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": CONTEXT_PROCESSORS},
    },
    # The busiest page (the household's) in Jinja2, from an app's jinja2/ folder (jingzhun/web/jinja.py says
    # why); a name not found among the Django templates above is looked up here.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "jingzhun.web.jinja.environment", "context_processors": CONTEXT_PROCESSORS},
    },
]
WSGI_APPLICATION = "jingzhun.wsgi.application"

DATABASES = {"default": dburl.parse(os.environ.get("JINGZHUN_DATABASE_URL", "sqlite:///jingzhun.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["jingzhun.web.lockout.LockoutBackend"]
LOCKOUT_FAILURES = int(os.environ.get("JINGZHUN_LOCKOUT_FAILURES", "5"))
LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("JINGZHUN_LOCKOUT_ADDRESS_FAILURES", "50"))
LOCKOUT_MINUTES = int(os.environ.get("JINGZHUN_LOCKOUT_MINUTES", "15"))
# The reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated, e.g.
# "127.0.0.1,10.0.0.0/8"); without them every client is the address that connected (`core.addresses.client_address`).
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("JINGZHUN_TRUSTED_PROXIES", "").split(",") if p.strip()]
# The roles an area administrator may grant (and the only roles a user they manage may hold): day-to-day
# village staff. Officers (import, pairing, approval), evaluators (bulk export), auditors (the audit log)
# and administrators are granted by a superuser; the reveal permission never by an area administrator.
ADMIN_GRANTABLE_ROLES = [r.strip() for r in os.environ.get("JINGZHUN_ADMIN_GRANTABLE_ROLES", "helper,work_team").split(",")
                         if r.strip()]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Every password set through a form (the admin, createsuperuser, a password change) is checked: at least 12
# characters (ASVS 5.0 V6.2.1 asks for 8 and recommends 15), not a common one, not the user's own name, not only
# digits. The demo's generated passwords are 12 random URL-safe characters.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Audit rows younger than this are never pruned (`jingzhun prune_audit`); the floor is 180 days.
AUDIT_RETENTION_DAYS = max(180, int(os.environ.get("JINGZHUN_AUDIT_RETENTION_DAYS", "365")))

# What an import file may hold before it is refused while reading (docs/security.md, "Hostile files").
# The command line's limits read a million-household register (3.5 M rows of CSV); an XLSX is also held
# to Excel's own 1,048,576 rows. Columns: the template has 47, an officer's sheet may add a few.
IMPORT_MAX_ROWS = int(os.environ.get("JINGZHUN_IMPORT_MAX_ROWS", "5000000"))
IMPORT_MAX_COLUMNS = int(os.environ.get("JINGZHUN_IMPORT_MAX_COLUMNS", "64"))
IMPORT_MAX_UNZIPPED_MB = int(os.environ.get("JINGZHUN_IMPORT_MAX_UNZIPPED_MB", "4096"))
IMPORT_MAX_SHARED_STRINGS_MB = int(os.environ.get("JINGZHUN_IMPORT_MAX_SHARED_STRINGS_MB", "1024"))

# Web uploads of register files wait here (files 0600, folders 0700) between the check and the confirmed
# import; the file is deleted when the import ends, and an upload never confirmed (and its error report)
# after UPLOAD_KEEP_HOURS. Uploads are checked and imported in a child process with the web limits below:
# the check by the request that received the file, the import by a worker (`jingzhun worker`, jobs below).
UPLOAD_DIR = os.environ.get("JINGZHUN_UPLOAD_DIR", str(Path.cwd() / ".jingzhun" / "uploads"))
UPLOADS_SYNCHRONOUS = os.environ.get("JINGZHUN_UPLOADS_SYNCHRONOUS") == "1"
UPLOAD_MAX_BYTES = int(os.environ.get("JINGZHUN_UPLOAD_MAX_BYTES", str(200 * 1024 * 1024)))
UPLOAD_MAX_ROWS = int(os.environ.get("JINGZHUN_UPLOAD_MAX_ROWS", "300000"))
UPLOAD_MAX_UNZIPPED_MB = int(os.environ.get("JINGZHUN_UPLOAD_MAX_UNZIPPED_MB", "1024"))
UPLOAD_KEEP_HOURS = float(os.environ.get("JINGZHUN_UPLOAD_KEEP_HOURS", "24"))
# Report workbooks (jingzhun.reports) are built by a worker into REPORT_DIR (files 0600, folders 0700) and kept
# REPORT_KEEP_HOURS after they were built; REPORTS_SYNCHRONOUS builds them in the request (tests).
REPORT_DIR = os.environ.get("JINGZHUN_REPORT_DIR", str(Path.cwd() / ".jingzhun" / "reports"))
REPORT_KEEP_HOURS = float(os.environ.get("JINGZHUN_REPORT_KEEP_HOURS", "24"))
REPORTS_SYNCHRONOUS = os.environ.get("JINGZHUN_REPORTS_SYNCHRONOUS") == "1"
# An area of at most this many households (a county) is built by the request itself, as the same job.
REPORT_INLINE_HOUSEHOLDS = int(os.environ.get("JINGZHUN_REPORT_INLINE_HOUSEHOLDS", "50000"))
# The job queue (jingzhun.jobs): a worker renews a running job's lease every third of JOBS_LEASE_SECONDS; a job
# whose worker has gone (this host: at once; another host: when the lease runs out) is retried up to
# JOBS_MAX_ATTEMPTS times in all. An idle worker looks at the queue every JOBS_POLL_SECONDS.
JOBS_LEASE_SECONDS = int(os.environ.get("JINGZHUN_JOBS_LEASE_SECONDS", "60"))
JOBS_MAX_ATTEMPTS = int(os.environ.get("JINGZHUN_JOBS_MAX_ATTEMPTS", "3"))
JOBS_POLL_SECONDS = float(os.environ.get("JINGZHUN_JOBS_POLL_SECONDS", "2"))
# Request bodies: an upload streams to a temporary file past 10 MB; the body as a whole is bounded by the
# upload limit in the view (Django's DATA_UPLOAD_MAX_MEMORY_SIZE excludes file parts).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "jingzhun.web.uploads.SizeLimit",  # first: stops reading a body beyond UPLOAD_MAX_BYTES
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("JINGZHUN_STATIC_ROOT", str(Path.cwd() / "static"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and os.environ.get("JINGZHUN_INSECURE_COOKIES") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = int(os.environ.get("JINGZHUN_SESSION_HOURS", "8")) * 3600
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind HTTPS (cookies secure), browsers are told to keep to HTTPS; a proxy that terminates TLS says so.
SECURE_HSTS_SECONDS = 0 if not SESSION_COOKIE_SECURE else int(os.environ.get("JINGZHUN_HSTS_SECONDS", "31536000"))
if os.environ.get("JINGZHUN_BEHIND_TLS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
# Pages load scripts and styles from this site only (charts read their data from json_script blocks).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JINGZHUN_LOG_LEVEL", "WARNING")},
}
