"""Django settings for Syllabus, read from environment variables.

Embedded default: a SQLite file (WAL, BEGIN IMMEDIATE, busy timeout) and an in-process
task runner.  At scale: ``DATABASE_URL`` (PostgreSQL) and ``BROKER_URL`` (Celery).
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("SYLLABUS_DATA_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEVELOPMENT_SECRET_KEY = "syllabus-insecure-development-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# DEBUG off with a production setting set (ALLOWED_HOSTS beyond the local names, CSRF_TRUSTED_ORIGINS, SECURE_*,
# SYLLABUS_ENCRYPTION_KEYS) and this development key: serve and migrate refuse to start (core.E002,
# syllabus.core.encryption.secret_key_problems); `make demo` sets none of them.
# SEC-KEY: the keys that encrypt the secrets Syllabus stores and reads back (syllabus/core/encryption.py):
# comma-separated Fernet keys, the first encrypts, all decrypt (rotation: README, Deployment at scale).  Unset: one
# derived from SECRET_KEY — the demo and development only; a production server (DEBUG off, SECRET_KEY set)
# refuses to start without it (core.E001).
ENCRYPTION_KEYS = [k.strip() for k in os.environ.get("SYLLABUS_ENCRYPTION_KEYS", "").split(",") if k.strip()]
DEBUG = env_bool("DEBUG", False)
# CON-2: ILL partners outside the consortium at plain http addresses (a test or development machine only)
ILL_PARTNERS_ALLOW_HTTP = env_bool("ILL_PARTNERS_ALLOW_HTTP", DEBUG)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "corsheaders",
    "syllabus.core",
    "syllabus.org",
    "syllabus.courses",
    "syllabus.catalog",
    "syllabus.lists",
    "syllabus.notify",
    "syllabus.discussion",
    "syllabus.fulfillment",
    "syllabus.acquisitions",
    "syllabus.lending",
    "syllabus.lti",
    "syllabus.sso",
    "syllabus.consortium",
    "syllabus.circulation",
    "syllabus.analytics",
    "syllabus.api",
    "syllabus.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # a strict Content-Security-Policy with a nonce on every response (syllabus/web/csp.py)
    "syllabus.web.csp.ContentSecurityPolicyMiddleware",
    "syllabus.web.middleware.SecureCookiesMiddleware",
    # under /api/, errors that Django answers itself (404, 405, 500) become problem details
    "syllabus.api.middleware.ApiProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # LMS-1: LTI-launched pages may be framed by their platform (CSP frame-ancestors, cookies);
    # outside the session middleware so that it sees the session cookie it sets
    "syllabus.lti.middleware.LtiFrameMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # API-CORS: only /api/v1/ answers the origins of API_CORS_ALLOWED_ORIGINS (none by default),
    # never with credentials; before CommonMiddleware, as django-cors-headers requires
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # after authentication: the default language comes from the user's institution (ORG-4)
    "syllabus.web.middleware.InstitutionLanguageMiddleware",
    "syllabus.web.middleware.InstitutionTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # RATE-LIMIT: sign-in, launches, searches, look-ups, imports and exports counted per account or
    # address before the view runs (syllabus/org/ratelimit.py PAGES); 429 with Retry-After
    "syllabus.web.middleware.RateLimitMiddleware",
    # request.htmx (django-htmx), and Vary: HX-Request on the answers that depended on it
    "syllabus.web.htmx.HtmxMiddleware",
    # WCAG 1.4.10: every <table class="data"> of a page or fragment gets its cells' headings
    # (data-label) and roles, so that it stacks on a phone without JavaScript (syllabus/web/tables.py)
    "syllabus.web.tables.StackedTablesMiddleware",
    # a page's query value longer than its ceiling is a WEB-QUERY refusal page (never a 500)
    "syllabus.web.errors.QueryCeilingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # innermost: a value the database refuses (DataError) that nothing refused first is a WEB-VALUE
    # refusal page, not a 500 (the API answers API-VALUE itself)
    "syllabus.web.errors.DataErrorMiddleware",
]

ROOT_URLCONF = "syllabus.urls"
WSGI_APPLICATION = "syllabus.wsgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "syllabus.web.context_processors.shell",
            ],
        },
    }
]

# --- database -----------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("TEST_DATABASE_NAME", "test_syllabus")
        # a database that stops answering makes /healthz say 503 in seconds, not hang a worker
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "5")))
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's SQLite backend, each query's placeholders converted once per process (issue 19)
            "ENGINE": "syllabus.core.sqlite",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "syllabus.sqlite3")),
            "OPTIONS": {
                # Writers take the lock at BEGIN, so that read-then-write never deadlocks.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
            },
            # A file, not :memory:, so that threads in concurrency and browser tests each
            # get their own connection, as in production (pytest-xdist adds a suffix).
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH", str(DATA_DIR / "test_syllabus.sqlite3"))},
        }
    }
DB_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ----------------------------------------------------------------------------
# Per worker process. The student view keeps its shared rendering and each item's slot renderings
# here (issue 19: ~2 entries per item of a list read); Django's default of 300 entries would
# evict them as fast as they are made (20,000 entries of ~2.5 KB: at most ~50 MB per worker).
# At scale, ``CACHE_URL=redis://host:6379/1`` shares one cache between every worker and host
# (Django's Redis backend): a rendering made by one worker serves all.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
CACHES: dict[str, dict[str, object]]
# "pages": the whole content of student views (~100 KB each, a few per list and language): apart,
# so that a worker keeps at most PAGE_CACHE_ENTRIES of them (300 ≈ 30 MB) whatever the churn of
# availability, and never evicts the small slot renderings of "default" to make room.
PAGE_CACHE_ENTRIES = max(int(os.environ.get("PAGE_CACHE_ENTRIES", "300")), 10)
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    # the code's digest in the prefix: after an upgrade no worker reads the previous code's
    # renderings (syllabus.codeversion)
    from syllabus.codeversion import code_digest

    CODE_DIGEST = code_digest(BASE_DIR)
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": f"syllabus-{CODE_DIGEST}"},
              "pages": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                        "KEY_PREFIX": f"syllabus-pages-{CODE_DIGEST}"}}
elif CACHE_URL:
    raise ValueError(f"CACHE_URL must be a redis://, rediss:// or unix:// URL, not {CACHE_URL!r}")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                          "OPTIONS": {"MAX_ENTRIES": 20_000}},
              "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages",
                        "OPTIONS": {"MAX_ENTRIES": PAGE_CACHE_ENTRIES}}}

# Sessions: with a shared cache (CACHE_URL, Redis) a session is read from it, the database
# staying the record (Django's cached_db; issue 19: one query fewer on every signed-in page).
# Signing out or any revocation (SSO back-channel logout) deletes both through the session
# engine, and every worker reads the same cache: it ends in all of them at once.  A per-process
# cache (no CACHE_URL) would keep a revoked session alive in the other workers: then the database only.
SESSION_ENGINE = "syllabus.core.sessions.cached_db" if CACHE_URL else "syllabus.core.sessions.db"  # (Django's, read by a prepared query: issue 19)

# --- jobs ---------------------------------------------------------------------------
BROKER_URL = os.environ.get("BROKER_URL", "").strip()
CELERY_BROKER_URL = BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
# Timer sweep period (seconds) for the in-process runner and Celery beat alike.
TICK_SECONDS = int(os.environ.get("TICK_SECONDS", "60"))
IN_PROCESS_RUNNER = env_bool("IN_PROCESS_RUNNER", not BROKER_URL)
# LST-9 (session 18): a citation file imported into a list within the request up to this size;
# a larger one (up to the 5 MB ceiling, citations.formats.IMPORT_MAX_BYTES) is queued and imported
# by the timer's sweep, LIST_IMPORT_SWEEP_SECONDS of work per tick, its progress on the list page.
LIST_IMPORT_INLINE_BYTES = int(os.environ.get("LIST_IMPORT_INLINE_BYTES", str(128 * 1024)))
LIST_IMPORT_SWEEP_SECONDS = int(os.environ.get("LIST_IMPORT_SWEEP_SECONDS", "40"))
# LST-9 (session 19): background imports waiting or running at once, per person who sent them
# (a second file is refused with 429) and per list (409); bounded: 1..20 and 1..10.
LIST_IMPORT_MAX_ACTIVE_PER_PERSON = min(max(int(os.environ.get("LIST_IMPORT_MAX_ACTIVE_PER_PERSON", "3")), 1), 20)
LIST_IMPORT_MAX_ACTIVE_PER_LIST = min(max(int(os.environ.get("LIST_IMPORT_MAX_ACTIVE_PER_LIST", "2")), 1), 10)
# LST-9 (session 20): spreadsheets (.xlsx, .csv) and Word documents (.docx) imported into a list —
# rows and columns of a spreadsheet, paragraphs of a document, what an .xlsx/.docx zip may unpack to,
# and how many identifier lookups an import makes within the request (more: in the background).
# Read through core.limits.setting_within, which bounds them again (1..50000, 1..300, 1..500 MB, 0..50).
LIST_IMPORT_SHEET_MAX_ROWS = int(os.environ.get("LIST_IMPORT_SHEET_MAX_ROWS", "5000"))
LIST_IMPORT_SHEET_MAX_COLUMNS = int(os.environ.get("LIST_IMPORT_SHEET_MAX_COLUMNS", "60"))
LIST_IMPORT_DOCX_MAX_PARAGRAPHS = int(os.environ.get("LIST_IMPORT_DOCX_MAX_PARAGRAPHS", "3000"))
LIST_IMPORT_UNPACKED_MAX_BYTES = int(os.environ.get("LIST_IMPORT_UNPACKED_MAX_BYTES", str(50 * 1024 * 1024)))
LIST_IMPORT_INLINE_LOOKUPS = int(os.environ.get("LIST_IMPORT_INLINE_LOOKUPS", "3"))
# PostgreSQL: on commit of a transaction that queued letters, announce them with NOTIFY on the
# channel "syllabus_outbox" (one short statement after the commit, never inside it: a NOTIFY in
# the transaction would hold PostgreSQL's global notify lock across the commit's flush and
# serialise every letter-writing commit).  `syllabus deliver --loop` and other listeners wake at
# once instead of at their next poll.  Off: delivery by polling alone (SQLite always polls).
OUTBOX_NOTIFY = env_bool("OUTBOX_NOTIFY", True)

# --- i18n ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("Français"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")

# --- files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media-not-served/"  # files are served through views that check access
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- email --------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "syllabus@localhost")
# Seconds an SMTP operation may hang (Django's default: forever).  Must stay below the outbox
# lease (OUTBOX_LEASE_SECONDS, 300 s): a send that hangs past its lease lets another worker
# take the row and send it at the same time (checked at start-up and by the worker).
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "30"))
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
SMS_BACKEND = os.environ.get("SMS_BACKEND", "syllabus.notify.sms.LogBackend")
SMS_API_URL = os.environ.get("SMS_API_URL", "")
SMS_API_TOKEN = os.environ.get("SMS_API_TOKEN", "")

# --- security -----------------------------------------------------------------------
# password sign-in goes through the throttled backend (syllabus/org/throttle.py): by account and
# by address, with a lock an administrator can lift
# (it is Django's model backend that also refuses an expired person, LMS-3; LTI and SSO sign-ins
# name it too, so that their sessions stay valid)
AUTHENTICATION_BACKENDS = ["syllabus.org.throttle.ThrottledModelBackend"]
SIGNIN_MAX_FAILURES_PER_ACCOUNT = int(os.environ.get("SIGNIN_MAX_FAILURES_PER_ACCOUNT", "5"))
SIGNIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("SIGNIN_MAX_FAILURES_PER_ADDRESS", "20"))
SIGNIN_WINDOW_SECONDS = int(os.environ.get("SIGNIN_WINDOW_SECONDS", "900"))
SIGNIN_LOCKOUT_SECONDS = int(os.environ.get("SIGNIN_LOCKOUT_SECONDS", "900"))
# the request header a trusted reverse proxy puts the client's address in (e.g. HTTP_X_FORWARDED_FOR);
# empty: REMOTE_ADDR
SIGNIN_CLIENT_IP_HEADER = os.environ.get("SIGNIN_CLIENT_IP_HEADER", "")
# how many trusted proxies append to that header (a load balancer: 1; a CDN in front of it: 2); 1..10
SIGNIN_TRUSTED_PROXIES = min(max(int(os.environ.get("SIGNIN_TRUSTED_PROXIES", "1")), 1), 10)
API_TOKENS_PER_HOUR = int(os.environ.get("API_TOKENS_PER_HOUR", "10"))
# AUTH-EXPIRY (session 25): days a new API token lives unless `token create --days N` says
# otherwise (0: never expires); tokens made before keep no expiry
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "365"))
# API-CORS (session 21): cross-origin reads of the API by an institution's portal or discovery
# layer.  None by default (no Access-Control-* header anywhere); a comma-separated list of exact
# https origins (http only for localhost); only /api/v1/, never credentials (cookies), never "*"
def cors_origins(text: str) -> list[str]:
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    origins = []
    for origin in (o.strip() for o in text.split(",")):
        if not origin:
            continue
        parts = urlsplit(origin)
        local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        if (parts.scheme != "https" and not (parts.scheme == "http" and local)) or not parts.hostname \
                or "*" in origin or parts.path or parts.query or parts.fragment or parts.username:
            raise ImproperlyConfigured(f"API_CORS_ALLOWED_ORIGINS: {origin!r} is not an exact origin "
                                       "(https://host[:port]; http only for localhost; no wildcard, no path)")
        origins.append(origin)
    return origins


CORS_ALLOWED_ORIGINS = cors_origins(os.environ.get("API_CORS_ALLOWED_ORIGINS", ""))
CORS_URLS_REGEX = r"^/api/v1/"
CORS_ALLOW_CREDENTIALS = False
CORS_PREFLIGHT_MAX_AGE = 3600

# RATE-LIMIT (session 21, syllabus/org/ratelimit.py): requests per account (per network address
# when nobody is signed in) to the endpoints that cost work or answer anyone, as "COUNT/PERIOD"
# (second, minute, hour, day) or "off"; counted in the shared cache (CACHE_URL: Redis) or else in
# the database, so every web worker counts together
RATE_LIMIT_SIGNIN = os.environ.get("RATE_LIMIT_SIGNIN", "60/minute")
RATE_LIMIT_LAUNCH = os.environ.get("RATE_LIMIT_LAUNCH", "600/minute")
RATE_LIMIT_BAD_TOKENS = os.environ.get("RATE_LIMIT_BAD_TOKENS", "30/minute")
RATE_LIMIT_SEARCH = os.environ.get("RATE_LIMIT_SEARCH", "120/minute")
RATE_LIMIT_LOOKUP = os.environ.get("RATE_LIMIT_LOOKUP", "30/minute")
RATE_LIMIT_IMPORT = os.environ.get("RATE_LIMIT_IMPORT", "60/hour")
RATE_LIMIT_EXPORT = os.environ.get("RATE_LIMIT_EXPORT", "60/minute")
# every authenticated API call, per bearer token (per account with the session cookie): in Redis with
# CACHE_URL, else in each web worker's memory — per worker process (session 23, docs/security.md)
RATE_LIMIT_API = os.environ.get("RATE_LIMIT_API", "600/minute")
# single sign-on's metadata sweeps (LMS-3, syllabus/sso/services.py): at most this many identity
# providers of each kind (SAML metadata; OpenID discovery + key set) are read per timer tick, the
# longest overdue first; the rest wait for the next ticks (each read is bounded by the outbound deadline)
SSO_REFRESH_PER_TICK = min(max(int(os.environ.get("SSO_REFRESH_PER_TICK", "20")), 1), 1000)
# an ILL partner's failed authentications at POST /api/v1/iso18626 from one address (CON-2), within
# SIGNIN_WINDOW_SECONDS, that lock it there for SIGNIN_LOCKOUT_SECONDS (the same throttle)
ILL_PARTNER_MAX_FAILURES = int(os.environ.get("ILL_PARTNER_MAX_FAILURES", "10"))
# name lookups of outbound fetches (syllabus/core/outbound.py) under way at once, in worker threads:
# a hung lookup keeps its slot until the resolver gives up; with none free a fetch fails at once (504)
OUTBOUND_LOOKUP_THREADS = max(int(os.environ.get("OUTBOUND_LOOKUP_THREADS", "16")), 1)
# how long the answer to a creating POST sent with an Idempotency-Key is kept and replayed (API-IDEMPOTENCY)
API_IDEMPOTENCY_HOURS = float(os.environ.get("API_IDEMPOTENCY_HOURS", "24"))
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a TLS-terminating proxy: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https makes a
# request that the proxy marks as https count as secure (set it only when the proxy always sets
# or strips that header).
_proxy_header = [p.strip() for p in os.environ.get("SECURE_PROXY_SSL_HEADER", "").split(",") if p.strip()]
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if len(_proxy_header) == 2 else None
# HSTS on every response served over HTTPS (Django sends it only on secure requests); 0 disables
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Secure session and CSRF cookies: on when SECURE_COOKIES says so, and in any case on every
# response to a request that came over HTTPS (syllabus.web.middleware.SecureCookiesMiddleware)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# LTI 1.3 (LMS-1, LMS-2): days a rotated key stays in the JWKS; hours between roster syncs
LTI_KEY_OVERLAP_DAYS = min(int(os.environ.get("LTI_KEY_OVERLAP_DAYS", "14")), 365)
# the hosts of Instructure's hosted Canvas (and their subdomains): a dynamic registration naming its
# shared issuer (https://canvas.instructure.com) must have its key set and endpoints there (LMS-1, docs/lti.md)
LTI_CANVAS_CLOUD_HOSTS = ("instructure.com", "canvaslms.com")
# the LMS origins a platform's verified launches named that are remembered for framing its
# login-time pages (newest kept): a school shows its LMS at a handful of addresses
LTI_FRAME_ORIGINS_KEPT = 10
LTI_ROSTER_SYNC_HOURS = min(max(int(os.environ.get("LTI_ROSTER_SYNC_HOURS", "24")), 1), 24 * 30)
# a roster sync reads at most this many members and pages (LMS-2: more is refused, nothing changed),
# and waits at most this long for the platform's servers (seconds; syllabus.lti.platform_http bounds them again)
LTI_ROSTER_MAX_MEMBERS = min(max(int(os.environ.get("LTI_ROSTER_MAX_MEMBERS", "50000")), 1), 200_000)
LTI_ROSTER_MAX_PAGES = min(max(int(os.environ.get("LTI_ROSTER_MAX_PAGES", "200")), 1), 2_000)
LTI_HTTP_CONNECT_TIMEOUT = min(max(float(os.environ.get("LTI_HTTP_CONNECT_TIMEOUT", "5")), 0.1), 30.0)
LTI_HTTP_READ_TIMEOUT = min(max(float(os.environ.get("LTI_HTTP_READ_TIMEOUT", "20")), 0.1), 120.0)
# Catalog search (DSV-1, issue 19): up to this many matches the facets and the count are exact;
# beyond it they are estimated from a sample (the page says "about"), so that browsing a whole
# institution of 700,000 records answers fast.  CATALOG_FACETS_SAMPLE_ROWS: table rows sampled
# for an estimate on PostgreSQL (TABLESAMPLE); on SQLite the facets of the first N matches are scaled.
CATALOG_FACETS_EXACT_LIMIT = min(max(int(os.environ.get("CATALOG_FACETS_EXACT_LIMIT", "20000")), 1), 10_000_000)
CATALOG_FACETS_SAMPLE_ROWS = min(max(int(os.environ.get("CATALOG_FACETS_SAMPLE_ROWS", "5000")), 1000), 10_000_000)
# Benchmarks only: unsalted-speed MD5 hashes for the thousands of accounts they make.  A production server
# refuses to start with it (core.E003), and MD5 hashes are never accepted otherwise.
FAST_PASSWORD_HASHER = env_bool("FAST_PASSWORD_HASHER", False)
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if FAST_PASSWORD_HASHER
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher"]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"syllabus": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}
