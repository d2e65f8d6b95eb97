"""clubsite settings, read from environment variables only (see README, "Configuration")."""

import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from clubsite.env import env_bool, env_float, env_int, env_int_list, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # A development key that is random per checkout, kept so sessions survive restarts.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "clubsite")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",
    "taggit",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "meetings",
    "resources",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers compressed (static files are served pre-compressed by WhiteNoise,
    # above). Django's GZipMiddleware pads each response with random bytes against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before every view: bad characters in the address answer 400, form fields are cleaned.
    "meetings.middleware.InputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clubsite.urls"
WSGI_APPLICATION = "clubsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "meetings.context_processors.site",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'clubsite.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # The worker and the web server write to the same file: wait for the lock
        # instead of failing, and take it at the start of each transaction.
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not memory) so a worker process started by a test sees the test database.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "meetings.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "dashboard"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=60)
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14, minimum=1)
# A single-club site may make every active account a member of every series (SECURITY.md).
OPEN_MEMBERSHIP = env_bool("OPEN_MEMBERSHIP", False)
# The paper queue: how many papers a member may suggest for one series in any 7 days.
QUEUE_SUGGESTIONS_PER_WEEK = env_int("QUEUE_SUGGESTIONS_PER_WEEK", 5, minimum=1)

# Sign-in throttling (django-axes, its attempts in the database): after LOGIN_FAILURE_LIMIT
# failures for one username, or from one address, both are refused for LOGIN_LOCKOUT_MINUTES
# (counted from the last failure); a successful sign-in clears that address' and account's count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy every request comes from the proxy's address: say how many proxies
# append to X-Forwarded-For, so sign-ins and API tokens are counted per client (0: REMOTE_ADDR).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "meetings.throttles.client_address"
AXES_LOCKOUT_CALLABLE = "meetings.views.accounts.signin_locked_out"
AXES_VERBOSE = False

# The cache holds the rate limits' counters, so every web process must share it: Redis when
# CACHE_URL names it, or (CACHE_URL unset) the broker's Redis when the broker is Redis, else the
# database (table clubsite_cache, made by migration meetings 0012; a few queries per limited
# request). locmem:// counts per process: for development only.
CACHE_URL = env_str("CACHE_URL", "")
_broker = env_str("CELERY_BROKER_URL", "filesystem://")
if not CACHE_URL and _broker.startswith(("redis://", "rediss://")):
    CACHE_URL = _broker
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "clubsite-cache",
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be empty, redis://... or locmem://.")
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "clubsite_cache"}
    }


def _rate(name: str, default: str) -> str:
    """A rate limit, "number/second|minute|hour|day", answered with 429 and Retry-After."""
    value = env_str(name, default)
    if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 60/minute (per second, minute, hour or day).")
    return value


API_TOKEN_RATE = _rate("API_TOKEN_RATE", "300/minute")  # requests per API token
API_FAILED_TOKEN_RATE = _rate("API_FAILED_TOKEN_RATE", "30/hour")  # wrong tokens per address
PREVIEW_RATE = _rate("PREVIEW_RATE", "120/minute")  # Markdown previews per member
SEARCH_RATE = _rate("SEARCH_RATE", "60/minute")  # searches per member (or address)
IMPORT_RATE = _rate("IMPORT_RATE", "30/hour")  # import uploads and previews per member

# Bounded work per request: no Markdown field (minutes, agenda, notes...) takes more characters.
MARKDOWN_MAX_LENGTH = env_int("MARKDOWN_MAX_LENGTH", 100_000, minimum=1_000)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Hashed names (site.3f2a1b.css) never change, so WhiteNoise serves them as immutable for ten
# years; anything else (the 500 page's unhashed site.css) for an hour.
WHITENOISE_MAX_AGE = 3600

# Email: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "clubsite <clubsite@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Etiquette for the APIs the worker talks to: who to contact about our traffic.
CONTACT_EMAIL = env_str("CONTACT_EMAIL", "admin@localhost")
USER_AGENT = f"clubsite/0.1 (+{SITE_URL}; mailto:{CONTACT_EMAIL})"

# Outbound base URLs and timeouts: settings, so tests and benchmarks use local servers.
ARXIV_API_URL = env_str("ARXIV_API_URL", "https://export.arxiv.org/api/query")
CROSSREF_API_URL = env_str("CROSSREF_API_URL", "https://api.crossref.org")
DOI_RESOLVER_URL = env_str("DOI_RESOLVER_URL", "https://doi.org")
DATACITE_API_URL = env_str("DATACITE_API_URL", "https://api.datacite.org")
HTTP_CONNECT_TIMEOUT = env_float("HTTP_CONNECT_TIMEOUT", 10.0, minimum=0.1)
HTTP_READ_TIMEOUT = env_float("HTTP_READ_TIMEOUT", 20.0, minimum=0.1)
# One metadata request, all its attempts and the waits between them, ends within this.
HTTP_DEADLINE = env_float("HTTP_DEADLINE", 30.0, minimum=1)
LINKCHECK_ALLOWED_INTERNAL_HOSTS = env_list("LINKCHECK_ALLOWED_INTERNAL_HOSTS", [])

# New library resources get their metadata fetched and link checked by the worker.
LIBRARY_AUTO_FETCH = env_bool("LIBRARY_AUTO_FETCH", True)

# Link health: how a check is made, how politely, and when a link is called broken.
LINKCHECK_CONNECT_TIMEOUT = env_float("LINKCHECK_CONNECT_TIMEOUT", 10.0, minimum=0.1)
LINKCHECK_READ_TIMEOUT = env_float("LINKCHECK_READ_TIMEOUT", 20.0, minimum=0.1)
LINKCHECK_DEADLINE = env_float("LINKCHECK_DEADLINE", 30.0, minimum=0.5)
LINKCHECK_MAX_REDIRECTS = env_int("LINKCHECK_MAX_REDIRECTS", 10, minimum=0)
LINKCHECK_MAX_BYTES = env_int("LINKCHECK_MAX_BYTES", 64 * 1024, minimum=1024)
LINKCHECK_RETRIES = env_int("LINKCHECK_RETRIES", 2, minimum=0)
LINKCHECK_RETRY_AFTER_MAX = env_float("LINKCHECK_RETRY_AFTER_MAX", 60.0, minimum=0)
LINKCHECK_HOST_CONCURRENCY = env_int("LINKCHECK_HOST_CONCURRENCY", 2, minimum=1)
LINKCHECK_HOST_SPACING = env_float("LINKCHECK_HOST_SPACING", 1.0, minimum=0)
LINKCHECK_SLOW_HOSTS = {"arxiv.org": 3.0, "export.arxiv.org": 3.0}
LINKCHECK_EXCLUDED_HOSTS = env_list("LINKCHECK_EXCLUDED_HOSTS", [])
LINKCHECK_THREADS = env_int("LINKCHECK_THREADS", 16, minimum=1)
LINKCHECK_BATCH_SIZE = env_int("LINKCHECK_BATCH_SIZE", 50, minimum=1)
LINKCHECK_BROKEN_AFTER_FAILURES = env_int("LINKCHECK_BROKEN_AFTER_FAILURES", 3, minimum=1)
LINKCHECK_BROKEN_AFTER_DAYS = env_float("LINKCHECK_BROKEN_AFTER_DAYS", 3.0, minimum=0)
LINKCHECK_RECHECK_HEALTHY_DAYS = env_float("LINKCHECK_RECHECK_HEALTHY_DAYS", 7.0, minimum=0)
LINKCHECK_RECHECK_FAILING_HOURS = env_float("LINKCHECK_RECHECK_FAILING_HOURS", 24.0, minimum=0)
PAGE_HEAD_MAX_BYTES = env_int("PAGE_HEAD_MAX_BYTES", 512 * 1024, minimum=1024)
# A worker killed while it held a host's request slot leaves the slot counted; the count is
# forgotten once the host's row has not changed for this long. A slot is held for one request,
# which its deadline watch ends at LINKCHECK_DEADLINE or HTTP_DEADLINE: twice that is ample.
HOST_SLOT_LEASE = env_float("HOST_SLOT_LEASE", 2 * max(LINKCHECK_DEADLINE, HTTP_DEADLINE), minimum=1)

# Metadata: arXiv asks for one request every 3 seconds and one connection at a time.
ARXIV_BATCH_SIZE = env_int("ARXIV_BATCH_SIZE", 100, minimum=1)
ARXIV_MIN_INTERVAL = env_float("ARXIV_MIN_INTERVAL", 3.0, minimum=0)
CROSSREF_CONCURRENCY = env_int("CROSSREF_CONCURRENCY", 3, minimum=1)
METADATA_RETRIES = env_int("METADATA_RETRIES", 3, minimum=0)

SPEAKER_REMINDER_DAYS = env_int_list("SPEAKER_REMINDER_DAYS", [7, 1])

# Celery: an embedded filesystem broker under var/ unless CELERY_BROKER_URL names one.
# (A host name, though it means nothing here, spares every process kombu's warning that there is none.)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# Redis gives a task its worker never acknowledged (the worker was killed, say) to another
# worker after BROKER_VISIBILITY_TIMEOUT seconds. It must outlast the longest task plus the
# longest retry countdown (Redis holds a countdown's message unacknowledged until it runs),
# or a task still running, or still waiting, is delivered a second time. No task waits for a
# host: a link check whose host is busy goes back with an ETA, a metadata request waits for
# its slot only within its HTTP_DEADLINE. The longest task is a link-check batch (each thread's
# share of links at LINKCHECK_DEADLINE each, all attempts included, plus the longest chain of
# ETAs one link may wait: a Retry-After up to LINKCHECK_RETRY_AFTER_MAX before each retry and
# once for a busy slot) or a DOI batch (each thread's DOIs, up to four requests each to
# HTTP_DEADLINE); the longest countdown is a metadata retry's 30 minutes. With the defaults:
# max(4 x 30 + 3 x 60, 3 x 4 x 30) + 1800 = 360 + 1800 = 2160 s. See README, "Worker faults".
HOST_SLOT_WAIT = 30.0  # resources.services.throttle.host_slot's timeout (metadata; link checks never wait)
TASK_LONGEST_COUNTDOWN = 1800.0  # resources.tasks.metadata.RETRY_MAX (a test keeps them together)
DOI_TASK_CHUNK = 9  # DOIs per metadata task (resources.services.metadata.service)
DOI_REQUESTS_MAX = 4  # Crossref, doi.org, doi.org/ra, DataCite
_link_batch = (
    -(-LINKCHECK_BATCH_SIZE // min(LINKCHECK_THREADS, LINKCHECK_BATCH_SIZE)) * LINKCHECK_DEADLINE
    + (LINKCHECK_RETRIES + 1) * LINKCHECK_RETRY_AFTER_MAX
)
_doi_batch = (
    -(-DOI_TASK_CHUNK // min(CROSSREF_CONCURRENCY, DOI_TASK_CHUNK)) * DOI_REQUESTS_MAX * HTTP_DEADLINE
)
TASK_LONGEST_SECONDS = max(_link_batch, _doi_batch)
BROKER_VISIBILITY_TIMEOUT = env_int(
    "BROKER_VISIBILITY_TIMEOUT", round(TASK_LONGEST_SECONDS + TASK_LONGEST_COUNTDOWN), minimum=1
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "redis+socket://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        # Look for such tasks every tenth of the timeout (1-10 s), not kombu's 100 s.
        "unacked_restore_interval": max(1, min(10, BROKER_VISIBILITY_TIMEOUT // 10)),
        "unacked_restore_throttle": 1,
    }
# Three queues, so a person never waits behind bulk work: emails and what a page asked for on
# "default"; link checks on "linkchecks"; metadata fetches on "metadata" (arXiv's pace is one
# request every 3 s). `make run`'s worker takes all three; docker compose gives the bulk
# queues a worker service of their own that scales (README, "Queues").
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "resources.linkchecks_*": {"queue": "linkchecks"},
    "resources.metadata_*": {"queue": "metadata"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "purge-expired-invitations": {
        "task": "meetings.invitations_purge_expired",
        "schedule": crontab(minute=17, hour=3),
    },
    "send-speaker-reminders": {
        "task": "meetings.talk_reminders_send",
        "schedule": crontab(minute=5),
    },
    "mark-presented-suggestions": {
        "task": "meetings.suggestions_mark_presented",
        "schedule": crontab(minute=35),
    },
    "dispatch-due-link-checks": {
        "task": "resources.linkchecks_dispatch_due",
        "schedule": env_float("LINKCHECK_DISPATCH_EVERY", 300.0, minimum=10),
    },
    "fetch-pending-metadata": {
        "task": "resources.metadata_dispatch_pending",
        "schedule": env_float("METADATA_DISPATCH_EVERY", 600.0, minimum=10),
    },
}

# Security: strict by default whenever DEBUG is off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading binds the domain and all its subdomains to HTTPS in every browser, for months, and
# is not quickly undone: the operator decides (SECURE_HSTS_PRELOAD=true). Until they do, Django's
# reminder that it is off (security.W021) is silenced, so `check --deploy` is clean by default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp; SECURITY.md, "Content-Security-Policy"): scripts, styles,
# fonts and fetches only from this site, no inline script or style and no eval; nothing may
# frame the site, no plugins, no <base> elsewhere, forms post only here. Images may also come
# from any https address, because minutes embed figures from papers' pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "frame-src": ["'none'"],
        "worker-src": ["'none'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features the site never uses are switched off for it and anything it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics",
        "camera", "display-capture", "encrypted-media", "fullscreen", "gamepad", "geolocation",
        "gyroscope", "hid", "idle-detection", "interest-cohort", "local-fonts", "magnetometer",
        "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
        "screen-wake-lock", "serial", "usb", "web-share", "xr-spatial-tracking",
    )
}  # fmt: skip

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# "GANs" and "gans" are one tag.
TAGGIT_CASE_INSENSITIVE = True

# The JSON API under /api/v1/ (meetings/api, resources/api); its schema and docs by drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "meetings.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["meetings.api.permissions.RulesPermission"],
    # JSON only: the documentation is our own page (/api/v1/docs/). DRF's browsable API answered
    # 500 to a browser on several endpoints and needs inline script the CSP forbids.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["meetings.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "meetings.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "meetings.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["meetings.throttles.TokenRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "token": API_TOKEN_RATE,
        "failed_token": API_FAILED_TOKEN_RATE,
        "preview": PREVIEW_RATE,
        "search": SEARCH_RATE,
        "import": IMPORT_RATE,
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "clubsite API",
    "DESCRIPTION": "Meetings, minutes, research items, reading lists and the library, as JSON.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}},
    "ENUM_NAME_OVERRIDES": {
        "MeetingStatusEnum": "meetings.models.Meeting.Status",
        "ResearchItemStatusEnum": "meetings.models.ResearchItem.Status",
        "ResearchStatusFilterEnum": ["open", "done", "dropped", "all"],
        "MinutesKindEnum": "meetings.models.Minutes.Kind",
        "ResourceKindEnum": "resources.models.Resource.Kind",
        "LinkHealthEnum": "resources.models.Resource.Health",
        "SuggestionStateEnum": "meetings.api.queue.STATE_CHOICES",
        "SuggestionUpdateStateEnum": ["open", "archived"],
    },
    # /api/v1/docs/ is our own page rendered from this schema (meetings/api/docs.py), not Swagger UI.
}
