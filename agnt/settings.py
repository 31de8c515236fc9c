"""Django settings for AGNT. Every value comes from agnt.env (the configuration contract)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from agnt import env as E

BASE_DIR = E.BASE_DIR
TESTING = E.bool_("AGNT_TESTING", False)
if not TESTING:  # tests must not depend on a developer's .env
    E.read_dotenv()
DEBUG = E.bool_("DEBUG", False)
SECRET_KEY = E.str_("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise E.ConfigError("SECRET_KEY is not set; put a long random string in .env (make run writes one for you)")
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - only when DEBUG or tests
ALLOWED_HOSTS = E.list_("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] + (["testserver"] if TESTING else []))
PUBLIC_BASE_URL = E.str_("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = E.list_("CSRF_TRUSTED_ORIGINS", [PUBLIC_BASE_URL])

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "ninja",
    "channels",
    "django_celery_beat",
    "import_export",
    "oauth2_provider",
    "agnt",
    "venues",
    "bookings",
    "billing",
    "agents",
    "crm",
    "knowledge",
    "messaging",
    "owners",
]

MIDDLEWARE = [
    "agnt.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "agnt.csp.AgntCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "agnt.urls"
WSGI_APPLICATION = "agnt.wsgi.application"
ASGI_APPLICATION = "agnt.asgi.application"
AUTH_USER_MODEL = "agnt.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "agnt" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- Data stores -----------------------------------------------------------------
_database = E.db_url("DATABASE_URL")
EMBEDDED_POSTGRES = _database is None
if EMBEDDED_POSTGRES:
    from agnt import devinfra

    _database = devinfra.ensure_postgres()
_database.setdefault("OPTIONS", {})
_database["CONN_HEALTH_CHECKS"] = True
if E.bool_("DATABASE_POOL", not TESTING):
    # psycopg 3's pool; CONN_MAX_AGE must stay 0 with it.
    _database["OPTIONS"]["pool"] = {"min_size": 1, "max_size": E.int_("DATABASE_POOL_MAX", 10), "timeout": 10}
    _database["CONN_MAX_AGE"] = 0
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = E.str_("REDIS_URL")
EMBEDDED_REDIS = not REDIS_URL
if EMBEDDED_REDIS:
    from agnt import devinfra

    REDIS_URL = devinfra.ensure_redis()
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise E.ConfigError("REDIS_URL must look like redis://host:6379/0 (unset it to use the embedded Redis)")


def redis_db_url(redis_url: str, db: int) -> str:
    """The same Redis server, another logical database (keeps tests apart from `make run`)."""
    if redis_url.startswith("unix://"):
        return f"{redis_url.split('?')[0]}?db={db}"
    base, _, _ = redis_url.rpartition("/") if redis_url.count("/") > 2 else (redis_url, "", "")
    return f"{base}/{db}"


def _redis_db_url(db: int) -> str:
    return redis_db_url(REDIS_URL, db)


# Every user of Redis has its own logical database *and* its own key prefix, so flushing
# or filling one never touches another, and two settings never share a queue:
#   REDIS_DB + 0  application state: locks, rate limits, session history, breakers, metrics
#   REDIS_DB + 1  Django's cache
#   REDIS_DB + 2  the Celery broker
#   REDIS_DB + 3  the Channels layer
# `make run` uses 0–3 and the test suite 4–7 of the same embedded server.
REDIS_DB = E.int_("REDIS_DB", 4 if TESTING else 0)
if not 0 <= REDIS_DB <= 12:
    raise E.ConfigError("REDIS_DB must be between 0 and 12 (it and the next three databases are used)")
REDIS_ROLE_OFFSETS = {"app": 0, "cache": 1, "broker": 2, "channels": 3}
REDIS_APP_URL = _redis_db_url(REDIS_DB + REDIS_ROLE_OFFSETS["app"])
REDIS_CACHE_URL = _redis_db_url(REDIS_DB + REDIS_ROLE_OFFSETS["cache"])
REDIS_CHANNELS_URL = _redis_db_url(REDIS_DB + REDIS_ROLE_OFFSETS["channels"])
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": "agnt:cache",
    }
}

CHANNEL_LAYERS = {
    # socket_timeout above channels_redis' 5 s blocking receive: redis-py 8's default of 5 s
    # made every idle receive() fail with a TimeoutError (the MCP SSE relay listens this way)
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_CHANNELS_URL, "socket_timeout": 15}], "prefix": "agnt:channels"},
    }
}


# --- Celery -------------------------------------------------------------------------
def celery_broker_url(url: str) -> str:
    # kombu spells Unix-socket Redis as redis+socket:// and reads the database from
    # ``virtual_host`` there: it drops a ``db`` query parameter and would use database 0.
    if url.startswith("unix://"):
        path, _, query = url.partition("?")
        db = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("db", "0")
        return f"{path.replace('unix://', 'redis+socket://', 1)}?virtual_host={db}"
    return url


REDIS_BROKER_URL = _redis_db_url(REDIS_DB + REDIS_ROLE_OFFSETS["broker"])  # redis-py spelling, for tools
CELERY_BROKER_URL = celery_broker_url(REDIS_BROKER_URL)
# every Celery key (queues, unacked, bindings) also carries a prefix of its own
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": "agnt:celery:"}
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = E.bool_("CELERY_TASK_ALWAYS_EAGER", TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CONSUMER = "agnt.celery:Consumer"  # reconnects within 2 s after a broker outage
CELERY_WORKER_QUEUES = [
    "default",
    "messaging",
    "bookings",
    "agents",
    "hosted",
    "billing",
    "knowledge",
    "crm",
    "maintenance",
]
# The concierge's queue gets a worker of its own (`make run`, Procfile `worker-messaging`),
# so guests never wait behind slow jobs on the other queues.
CELERY_MESSAGING_QUEUES = ["messaging"]
# Pool size of the messaging worker; 0 = sized to the machine by `make run` (2 × cores).
CELERY_MESSAGING_CONCURRENCY = E.int_("CELERY_MESSAGING_CONCURRENCY", 0)

# --- Auth, sessions, security -----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PUBLIC_BASE_URL.startswith("https://")
# HSTS on every HTTPS answer once DEBUG is off (a year, subdomains included); development
# over plain http never pins a browser to https
SECURE_HSTS_SECONDS = E.int_("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = E.bool_("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = E.bool_("SECURE_HSTS_PRELOAD", False)
# Content-Security-Policy on every answer (django-csp; agnt/csp.py adds the admin's one exception)
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# /metrics: Prometheus scrapes with `Authorization: Bearer <METRICS_TOKEN>`. With DEBUG off
# and no token set, nobody can read it (fail closed); in development it is open without one.
METRICS_TOKEN = E.str_("METRICS_TOKEN")
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024
FORMS_URLFIELD_ASSUME_HTTPS = True  # the Django 6.0 default, adopted now

FERNET_KEYS = E.list_("FERNET_KEYS")
if not FERNET_KEYS:
    if not DEBUG and not TESTING:
        raise E.ConfigError(
            "FERNET_KEYS is not set; generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    # Derived from SECRET_KEY so development data stays readable across restarts.
    import base64
    import hashlib

    FERNET_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
try:
    from cryptography.fernet import Fernet

    for _key in FERNET_KEYS:
        Fernet(_key)
except ValueError as exc:
    raise E.ConfigError(
        "FERNET_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes); generate one with Fernet.generate_key()"
    ) from exc

JWT_SIGNING_KEY = E.str_("JWT_SIGNING_KEY") or SECRET_KEY
JWT_ACCESS_TTL = timedelta(minutes=E.int_("JWT_ACCESS_TTL_MINUTES", 15))
JWT_REFRESH_TTL = timedelta(days=E.int_("JWT_REFRESH_TTL_DAYS", 30))

# --- External services (unset credentials mean "use the local stand-in") -----------
LLM_PROVIDER = E.str_(
    "LLM_PROVIDER",
    "anthropic" if E.str_("ANTHROPIC_API_KEY") else "offline",
    choices=("offline", "anthropic", "ollama"),
)
ANTHROPIC_API_KEY = E.str_("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = E.str_("ANTHROPIC_BASE_URL", "https://api.anthropic.com")
ANTHROPIC_MODEL = E.str_("ANTHROPIC_MODEL", "claude-sonnet-4-5")
OLLAMA_BASE_URL = E.str_("OLLAMA_BASE_URL", "http://127.0.0.1:11434")
TELEGRAM_BOT_TOKEN = E.str_("TELEGRAM_BOT_TOKEN")
TELEGRAM_WEBHOOK_SECRET = E.str_("TELEGRAM_WEBHOOK_SECRET")
TELEGRAM_API_BASE_URL = E.str_("TELEGRAM_API_BASE_URL", "https://api.telegram.org")
# Telegram lets a bot send ~30 messages/s in all; above that every message must be a paid
# broadcast (allow_paid_broadcast, up to 1000/s, billed in Stars). The send queue paces to this.
TELEGRAM_MESSAGES_PER_SECOND = E.int_("TELEGRAM_MESSAGES_PER_SECOND", 30)
META_APP_SECRET = E.str_("META_APP_SECRET")
WHATSAPP_VERIFY_TOKEN = E.str_("WHATSAPP_VERIFY_TOKEN")
D360_API_KEY = E.str_("D360_API_KEY")
WHATSAPP_API_BASE_URL = E.str_("WHATSAPP_API_BASE_URL", "https://waba-v2.360dialog.io")
INSTAGRAM_ACCESS_TOKEN = E.str_("INSTAGRAM_ACCESS_TOKEN")
INSTAGRAM_API_BASE_URL = E.str_("INSTAGRAM_API_BASE_URL", "https://graph.instagram.com")
STRIPE_SECRET_KEY = E.str_("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = E.str_("STRIPE_WEBHOOK_SECRET")
# Without a key the Stripe client uses a stand-in key against the local Stripe stand-in
# (billing/stripe_client.py; `make run` serves it on 127.0.0.1:12111).
STRIPE_API_BASE = E.str_("STRIPE_API_BASE", "https://api.stripe.com" if STRIPE_SECRET_KEY else "http://127.0.0.1:12111")
# The stand-in keeps its objects in this file across restarts (billing/standin_state.py); the demo
# seeder adds there the Stripe objects whose ids it stores. Empty (nothing written) in tests and with a key.
STRIPE_STANDIN_STATE_FILE = E.str_(
    "STRIPE_STANDIN_STATE_FILE",
    ""
    if TESTING or STRIPE_SECRET_KEY
    else str(Path(os.environ.get("AGNT_DATA_DIR") or BASE_DIR / ".data") / "stripe-standin.json"),
)
CLAWPULSE_GATEWAY = E.str_("CLAWPULSE_GATEWAY", f"{PUBLIC_BASE_URL}/gateway")
CLAWPULSE_API_KEY = E.str_("CLAWPULSE_API_KEY")
CLAWPULSE_PLATFORM_AGENT_ID = E.str_("CLAWPULSE_PLATFORM_AGENT_ID", "agnt-platform")
A2A_SIGNING_KEY = E.str_("A2A_SIGNING_KEY") or SECRET_KEY
A2A_SIGNING_KEY_PREVIOUS = E.str_("A2A_SIGNING_KEY_PREVIOUS")
# --- Agent network (A2A) ---------------------------------------------------------------
A2A_REPLAY_WINDOW_SECONDS = E.int_("A2A_REPLAY_WINDOW_SECONDS", 300)  # envelopes older than this are refused
A2A_FUTURE_SKEW_SECONDS = E.int_("A2A_FUTURE_SKEW_SECONDS", 30)  # tolerated clock skew ahead
A2A_BOOKING_REQUEST_TTL_MS = E.int_("A2A_BOOKING_REQUEST_TTL_MS", 600_000)
GATEWAY_MAX_BODY_BYTES = E.int_("GATEWAY_MAX_BODY_BYTES", 256 * 1024)
BREAKER_FAILURE_THRESHOLD = E.int_("BREAKER_FAILURE_THRESHOLD", 5)  # failures …
BREAKER_WINDOW_SECONDS = E.int_("BREAKER_WINDOW_SECONDS", 600)  # … within this window open a breaker …
BREAKER_OPEN_SECONDS = E.int_("BREAKER_OPEN_SECONDS", 300)  # … for this long, then one trial goes through
AGENT_CARD_CACHE_SECONDS = E.int_("AGENT_CARD_CACHE_SECONDS", 300)
AGNT_AGENT_VERSION = E.str_("AGNT_AGENT_VERSION", "1.0.0")
# --- Open network: external API (/a2a/v1), MCP (/mcp), A2A JSON-RPC ----------------------
API_RATE_LIMITS_PER_MINUTE = {  # requests per minute per API key, shared by every transport and worker
    "free": E.int_("API_RATE_LIMIT_FREE", 60),
    "pro": E.int_("API_RATE_LIMIT_PRO", 600),
    "enterprise": E.int_("API_RATE_LIMIT_ENTERPRISE", 3000),
}
API_MAX_BODY_BYTES = E.int_("API_MAX_BODY_BYTES", 64 * 1024)  # larger request bodies get 413
# Browser origins allowed to call /mcp (the MCP transport spec: a foreign Origin gets 403).
# Requests without an Origin header (non-browser clients) are always allowed.
MCP_ALLOWED_ORIGINS = E.list_("MCP_ALLOWED_ORIGINS", [PUBLIC_BASE_URL])

# OAuth 2.1 authorization server for MCP clients (django-oauth-toolkit; agents/api/oauth.py,
# docs/mcp.md): authorization code with PKCE (S256 only), open dynamic client registration
# for public clients, refresh tokens (rotated), revocation. A token acts as its user's API key.
OAUTH_SCOPE = "mcp"
OAUTH2_PROVIDER = {
    "SCOPES": {OAUTH_SCOPE: "Search venues, book tables and cancel bookings on your behalf"},
    "DEFAULT_SCOPES": [OAUTH_SCOPE],
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only, never "plain"
    "ACCESS_TOKEN_EXPIRE_SECONDS": E.int_("OAUTH_ACCESS_TOKEN_SECONDS", 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": E.int_("OAUTH_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 120,
    "ROTATE_REFRESH_TOKEN": True,
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["none"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
}
# Open registration is unauthenticated: at most this many registration requests per IP address
# per hour (429 with Retry-After past it), counted in Redis across web processes.
OAUTH_REGISTRATIONS_PER_IP_PER_HOUR = E.int_("OAUTH_REGISTRATIONS_PER_IP_PER_HOUR", 20)
# --- Booking lifecycle -------------------------------------------------------------------
BOOKINGS_REQUEST_TTL_MINUTES = E.int_("BOOKINGS_REQUEST_TTL_MINUTES", 30)
BOOKINGS_COUNTER_OFFER_TTL_MINUTES = E.int_("BOOKINGS_COUNTER_OFFER_TTL_MINUTES", 120)
BOOKINGS_OWNER_DECISION_GRACE_MINUTES = E.int_("BOOKINGS_OWNER_DECISION_GRACE_MINUTES", 30)
BOOKINGS_PENDING_OWNER_TTL_HOURS = E.int_("BOOKINGS_PENDING_OWNER_TTL_HOURS", 24)
BOOKINGS_NO_SHOW_GRACE_HOURS = E.int_("BOOKINGS_NO_SHOW_GRACE_HOURS", 12)  # then an unflagged visit is completed
BOOKINGS_RATING_REQUEST_WITHIN_DAYS = E.int_("BOOKINGS_RATING_REQUEST_WITHIN_DAYS", 3)
BOOKINGS_WAITLIST_NOTIFY_COUNT = E.int_("BOOKINGS_WAITLIST_NOTIFY_COUNT", 3)
BOOKINGS_NO_SHOW_WINDOW_DAYS = E.int_("BOOKINGS_NO_SHOW_WINDOW_DAYS", 180)
BOOKINGS_NO_SHOW_STRIKES = E.int_("BOOKINGS_NO_SHOW_STRIKES", 2)  # no-shows that make bookings need the owner
EMBEDDINGS_PROVIDER = E.str_("EMBEDDINGS_PROVIDER", "local", choices=("local", "openai", "voyage"))
KNOWLEDGE_MAX_UPLOAD_BYTES = E.int_("KNOWLEDGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
KNOWLEDGE_MAX_FETCH_BYTES = E.int_("KNOWLEDGE_MAX_FETCH_BYTES", 5 * 1024 * 1024)
KNOWLEDGE_FETCH_TIMEOUT = E.int_("KNOWLEDGE_FETCH_TIMEOUT", 20)  # seconds, per fetch (all redirects included)
# Only for development and tests: lets knowledge sources fetch localhost / private networks (SSRF guard off).
KNOWLEDGE_ALLOW_PRIVATE_URLS = E.bool_("KNOWLEDGE_ALLOW_PRIVATE_URLS", False)
EMBEDDINGS_API_KEY = E.str_("EMBEDDINGS_API_KEY")
EMBEDDINGS_API_BASE_URL = E.str_("EMBEDDINGS_API_BASE_URL", "https://api.openai.com")
EMBEDDINGS_MODEL = E.str_("EMBEDDINGS_MODEL", "text-embedding-3-small")
# --- Knowledge: memory extraction (issue 7) ---
# auto: Claude (strict tool schema) plus the rules when LLM_PROVIDER=anthropic, the rules otherwise; rules: never the model
MEMORY_EXTRACTOR = E.str_("MEMORY_EXTRACTOR", "auto", choices=("auto", "rules"))
MEMORY_EXTRACTOR_MODEL = E.str_("MEMORY_EXTRACTOR_MODEL")  # empty: ANTHROPIC_MODEL
LALAMOVE_API_KEY = E.str_("LALAMOVE_API_KEY")
LALAMOVE_API_SECRET = E.str_("LALAMOVE_API_SECRET")
LALAMOVE_BASE_URL = E.str_("LALAMOVE_BASE_URL", "https://rest.sandbox.lalamove.com")
# Unset: the local Open-Meteo stand-in that `make run` starts (messaging/tests/fake_weather.py);
# the real provider is https://api.open-meteo.com (no key needed, docs/concierge.md).
WEATHER_STANDIN_BASE_URL = "http://127.0.0.1:12114"
WEATHER_API_BASE_URL = E.str_("WEATHER_API_BASE_URL", "") or WEATHER_STANDIN_BASE_URL

# --- Concierge (messaging) -------------------------------------------------------------
OLLAMA_MODEL = E.str_("OLLAMA_MODEL", "llama3.1")
LLM_MAX_TOKENS = E.int_("LLM_MAX_TOKENS", 1024)  # per model response
LLM_MAX_TOOL_ITERATIONS = E.int_("LLM_MAX_TOOL_ITERATIONS", 8)  # tool-use rounds per turn
LLM_TIMEOUT_SECONDS = E.int_("LLM_TIMEOUT_SECONDS", 60)
LLM_DAILY_TOKEN_BUDGET = E.int_("LLM_DAILY_TOKEN_BUDGET", 200_000)  # input+output tokens per user per day
LLM_USER_CONCURRENCY = E.int_("LLM_USER_CONCURRENCY", 2)  # LLM calls in flight per user, across processes
LLM_CONCURRENCY_LEASE_SECONDS = E.int_(
    "LLM_CONCURRENCY_LEASE_SECONDS", 2 * LLM_TIMEOUT_SECONDS + 30
)  # a dead worker's slot frees itself
LLM_MAX_RETRIES = E.int_("LLM_MAX_RETRIES", 3)  # SDK retries with backoff on 429 / 5xx / connection errors
LLM_RETRY_AFTER_MAX_SECONDS = E.int_("LLM_RETRY_AFTER_MAX_SECONDS", 20)  # cap on a provider's retry-after

# Hosted agents (agents/hosted): the sandbox worker pool of each process, and run timing
HOSTED_SANDBOX_WORKERS = E.int_("HOSTED_SANDBOX_WORKERS", 2)  # monty worker subprocesses per process
HOSTED_SANDBOX_CHECKOUT_TIMEOUT = E.int_("HOSTED_SANDBOX_CHECKOUT_TIMEOUT", 10)  # wait for a free worker
HOSTED_SANDBOX_REQUEST_TIMEOUT = E.int_("HOSTED_SANDBOX_REQUEST_TIMEOUT", 60)  # kill a worker silent this long
HOSTED_SYNC_WAIT_SECONDS = E.int_("HOSTED_SYNC_WAIT_SECONDS", 30)  # POST /agents/{name}/run waits at most this
# A2A SendMessage to a hosted agent answers with the finished task if the run ends this soon,
# else with the task still submitted/working (GetTask, streaming and push follow it)
HOSTED_A2A_WAIT_SECONDS = E.int_("HOSTED_A2A_WAIT_SECONDS", 3)
HOSTED_STUCK_AFTER_SECONDS = E.int_(
    "HOSTED_STUCK_AFTER_SECONDS", 30
)  # a running run with no heartbeat this long is stuck
HOSTED_MCP_TIMEOUT_SECONDS = E.int_("HOSTED_MCP_TIMEOUT_SECONDS", 10)  # declared MCP servers, per call
HOSTED_MCP_ALLOW_PRIVATE = E.bool_("HOSTED_MCP_ALLOW_PRIVATE", False)  # development only: MCP servers on localhost
TOOL_TIMEOUT_SECONDS = E.int_("TOOL_TIMEOUT_SECONDS", 5)
PENDING_ACTION_TTL_SECONDS = E.int_("PENDING_ACTION_TTL_SECONDS", 900)  # a booking/courier offer awaiting "yes"
WEATHER_CACHE_SECONDS = E.int_("WEATHER_CACHE_SECONDS", 1800)
LALAMOVE_MARKET = E.str_("LALAMOVE_MARKET", "ID")
CHAT_HISTORY_MAX_MESSAGES = E.int_("CHAT_HISTORY_MAX_MESSAGES", 40)
CHAT_HISTORY_TTL_HOURS = E.int_("CHAT_HISTORY_TTL_HOURS", 7 * 24)
WEBHOOK_MAX_BODY_BYTES = E.int_("WEBHOOK_MAX_BODY_BYTES", 3 * 1024 * 1024)
# JSON a client sends (webhooks, /api, /a2a/v1, JSON-RPC, MCP) may nest at most this deep
JSON_MAX_DEPTH = E.int_("JSON_MAX_DEPTH", 64)
CHANNEL_HTTP_TIMEOUT_SECONDS = E.int_("CHANNEL_HTTP_TIMEOUT_SECONDS", 10)  # Telegram / 360dialog / Instagram calls
INSTAGRAM_API_VERSION = E.str_("INSTAGRAM_API_VERSION", "v21.0")
INSTAGRAM_VERIFY_TOKEN = E.str_("INSTAGRAM_VERIFY_TOKEN")  # empty: WHATSAPP_VERIFY_TOKEN (one Meta app)
SEND_MAX_ATTEMPTS = E.int_("SEND_MAX_ATTEMPTS", 5)  # quick retries of one outbound message
SEND_GIVE_UP_ATTEMPTS = E.int_("SEND_GIVE_UP_ATTEMPTS", 15)  # after this many, a failed message waits for a human
SEND_RETRY_FAILED_AFTER_MINUTES = E.int_("SEND_RETRY_FAILED_AFTER_MINUTES", 15)
SEND_RETRY_BASE_SECONDS = E.int_("SEND_RETRY_BASE_SECONDS", 2)
# Approved WhatsApp template sent outside the 24-hour customer-service window (one body parameter).
WHATSAPP_TEMPLATE_NAME = E.str_("WHATSAPP_TEMPLATE_NAME", "agnt_update")
WHATSAPP_TEMPLATE_LANGUAGE = E.str_("WHATSAPP_TEMPLATE_LANGUAGE", "en")
EMAIL_URL = E.str_("EMAIL_URL", "consolemail://")
try:
    import environ as _environ

    vars().update(_environ.Env.email_url_config(EMAIL_URL))
except Exception as exc:  # noqa: BLE001 - django-environ raises several types here
    raise E.ConfigError(
        f"EMAIL_URL={EMAIL_URL!r} is invalid ({exc}); use e.g. smtp://user:pass@host:587 or consolemail://"
    ) from exc
DEFAULT_FROM_EMAIL = E.str_("DEFAULT_FROM_EMAIL", "AGNT <noreply@agnt.local>")

# --- Money ---------------------------------------------------------------------------
BILLING_TAX_RATE_PCT = E.str_("BILLING_TAX_RATE_PCT", "11.00")  # Indonesian VAT (PPN) on platform invoices
BILLING_PAYMENT_TERMS_DAYS = E.int_("BILLING_PAYMENT_TERMS_DAYS", 14)
REFERRAL_QUALIFY_DAYS = E.int_("REFERRAL_QUALIFY_DAYS", 30)
REFERRAL_REWARD_CREDITS = E.int_("REFERRAL_REWARD_CREDITS", 50)
try:
    from decimal import Decimal, InvalidOperation

    if not 0 <= Decimal(BILLING_TAX_RATE_PCT) <= 100:
        raise InvalidOperation
except InvalidOperation as exc:
    raise E.ConfigError(
        f"BILLING_TAX_RATE_PCT={BILLING_TAX_RATE_PCT!r} must be a percentage between 0 and 100, e.g. 11.00"
    ) from exc

# --- Money: credits jobs and printable invoices (billing ledger jobs) -----------------
# Credits granted on the 1st of each month per consumer plan ("plan=credits,…"); plans not
# listed get none. Monthly grants lapse after CREDITS_MONTHLY_GRANT_VALID_DAYS (0 = never).
CREDITS_MONTHLY_GRANTS_RAW = E.str_("CREDITS_MONTHLY_GRANTS", "free=0,plus=100,premium=300")
try:
    CREDITS_MONTHLY_GRANTS = {
        plan.strip(): int(amount)
        for plan, _, amount in (item.partition("=") for item in CREDITS_MONTHLY_GRANTS_RAW.split(","))
    }
    if any(amount < 0 or not plan for plan, amount in CREDITS_MONTHLY_GRANTS.items()):
        raise ValueError
except ValueError as exc:
    raise E.ConfigError(
        f"CREDITS_MONTHLY_GRANTS={CREDITS_MONTHLY_GRANTS_RAW!r} must look like free=0,plus=100,premium=300"
    ) from exc
CREDITS_MONTHLY_GRANT_VALID_DAYS = E.int_("CREDITS_MONTHLY_GRANT_VALID_DAYS", 62)
# Who the platform's invoices come from, and how venues pay them (printed on every invoice).
BILLING_ISSUER_NAME = E.str_("BILLING_ISSUER_NAME", "PT AGNT Network Indonesia")
BILLING_ISSUER_ADDRESS = E.str_("BILLING_ISSUER_ADDRESS", "Jl. Raya Canggu No. 1, Badung, Bali 80361, Indonesia")
BILLING_ISSUER_TAX_ID = E.str_("BILLING_ISSUER_TAX_ID", "")
BILLING_PAYMENT_INSTRUCTIONS = E.str_(
    "BILLING_PAYMENT_INSTRUCTIONS",
    "Pay by bank transfer quoting the invoice number, or by card from the billing page of your venue back office.",
)
# --- Stripe: subscriptions, webhooks, reconcile (billing/stripe_client.py, docs/billing.md) ---
STRIPE_MAX_NETWORK_RETRIES = E.int_("STRIPE_MAX_NETWORK_RETRIES", 2)  # the library's retries reuse our idempotency key
STRIPE_TIMEOUT_SECONDS = E.int_("STRIPE_TIMEOUT_SECONDS", 20)
STRIPE_IDEMPOTENCY_NAMESPACE = E.str_(
    "STRIPE_IDEMPOTENCY_NAMESPACE", "agnt"
)  # distinct per install sharing a Stripe account
STRIPE_PRICE_PLUS = E.str_("STRIPE_PRICE_PLUS", "price_agnt_plus")  # consumer Plus, monthly
STRIPE_PRICE_PREMIUM = E.str_("STRIPE_PRICE_PREMIUM", "price_agnt_premium")  # consumer Premium, monthly
STRIPE_PRICE_VENUE_PRO = E.str_("STRIPE_PRICE_VENUE_PRO", "price_agnt_venue_pro")  # venue (B2B) Pro, monthly
STRIPE_RECONCILE_LOOKBACK_HOURS = E.int_("STRIPE_RECONCILE_LOOKBACK_HOURS", 72)  # Stripe keeps events 30 days
STRIPE_SUBSCRIPTION_SYNC_AFTER_HOURS = E.int_(
    "STRIPE_SUBSCRIPTION_SYNC_AFTER_HOURS", 24
)  # pull state not updated this long

# --- Stripe: collecting booking fees and metered API usage (billing/services/collection.py) ---
STRIPE_METER_EVENT_NAME = E.str_(
    "STRIPE_METER_EVENT_NAME", "agnt_api_calls"
)  # the Billing Meter's event_name (sum of cents)
FEE_COLLECTION_BATCH_SIZE = E.int_("FEE_COLLECTION_BATCH_SIZE", 500)  # ledger rows per collect_booking_fees run
USAGE_BILLING_BATCH_SIZE = E.int_("USAGE_BILLING_BATCH_SIZE", 2000)  # usage events per charge_unbilled_usage run

# --- Consumer features: web push, marketplace, affiliate links (docs/consumer-features.md) ---
# Web Push (agnt/webpush.py). VAPID keys: base64url of the raw P-256 private number and of the
# uncompressed public point (what `vapid --gen` / `make run` produce). Unset: push is off.
VAPID_PRIVATE_KEY = E.str_("VAPID_PRIVATE_KEY")
VAPID_PUBLIC_KEY = E.str_("VAPID_PUBLIC_KEY")
VAPID_SUBJECT = E.str_("VAPID_SUBJECT", "mailto:ops@agnt.local")
# The push service development subscriptions live on (`make run` serves the local stand-in
# there). Endpoints under this base may be on localhost; every other endpoint must be a
# public https host (SSRF guard). Empty in production: browsers bring their vendor's URL.
WEB_PUSH_SERVICE_BASE_URL = E.str_("WEB_PUSH_SERVICE_BASE_URL", "http://127.0.0.1:12112" if DEBUG else "")
WEB_PUSH_TIMEOUT_SECONDS = E.int_("WEB_PUSH_TIMEOUT_SECONDS", 10)
WEB_PUSH_TTL_SECONDS = E.int_("WEB_PUSH_TTL_SECONDS", 86400)  # how long the push service keeps an undelivered message
WEB_PUSH_MAX_ATTEMPTS = E.int_("WEB_PUSH_MAX_ATTEMPTS", 5)
WEB_PUSH_STANDIN_STATE_FILE = E.str_(
    "WEB_PUSH_STANDIN_STATE_FILE",
    "" if TESTING else str(Path(os.environ.get("AGNT_DATA_DIR") or BASE_DIR / ".data") / "push-standin.json"),
)
# Marketplace product search and price lookup (billing/marketplace_client.py). Without a
# provider `make run` serves the local stand-in catalogue on 127.0.0.1:12113.
MARKETPLACE_API_BASE_URL = E.str_("MARKETPLACE_API_BASE_URL", "http://127.0.0.1:12113")
MARKETPLACE_API_KEY = E.str_("MARKETPLACE_API_KEY")
MARKETPLACE_TIMEOUT_SECONDS = E.int_("MARKETPLACE_TIMEOUT_SECONDS", 10)
MARKETPLACE_STANDIN_STATE_FILE = E.str_(
    "MARKETPLACE_STANDIN_STATE_FILE",
    "" if TESTING else str(Path(os.environ.get("AGNT_DATA_DIR") or BASE_DIR / ".data") / "marketplace-standin.json"),
)
PRICE_WATCH_DAYS = E.int_("PRICE_WATCH_DAYS", 90)  # a watch nobody re-arms expires after this
PRICE_WATCH_BATCH_SIZE = E.int_("PRICE_WATCH_BATCH_SIZE", 200)  # watches checked per price_watch_check run
PRICE_WATCH_RECHECK_MINUTES = E.int_("PRICE_WATCH_RECHECK_MINUTES", 50)  # a watch is not re-checked sooner
# Affiliate links (/go/<token>): the query parameters added per partner, as a query string.
AFFILIATE_LINK_MAX_AGE_DAYS = E.int_("AFFILIATE_LINK_MAX_AGE_DAYS", 60)
AFFILIATE_PARAMS = {
    partner: E.str_(f"AFFILIATE_PARAMS_{partner.upper()}", default)
    for partner, default in (
        ("shopee", "utm_source=agnt&utm_medium=affiliate"),
        ("tokopedia", "utm_source=agnt&utm_medium=affiliate"),
        ("lazada", "utm_source=agnt&utm_medium=affiliate"),
        ("klook", ""),
        ("traveloka", ""),
        ("grab", ""),
        ("other", "utm_source=agnt"),
    )
}

# --- Back-office CSV export (django-import-export; agnt/admin_export.py) ---------------
# Export only: rows enter through the services, never through a spreadsheet upload.
# A cell a guest typed that starts with = + - @ is escaped, so a spreadsheet opening the
# file never runs it as a formula.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# --- Retention / housekeeping -------------------------------------------------------
ERROR_LOG_RETENTION_DAYS = E.int_("ERROR_LOG_RETENTION_DAYS", 30)
SESSION_RETENTION_DAYS = E.int_("SESSION_RETENTION_DAYS", 30)
# Messages older than this are deleted (or, when they belong to a booking, stripped of their
# text and payload) by interaction_retention_purge, in batches.
INTERACTION_RETENTION_DAYS = E.int_("INTERACTION_RETENTION_DAYS", 365)
INTERACTION_PURGE_BATCH_SIZE = E.int_("INTERACTION_PURGE_BATCH_SIZE", 5000)

# --- i18n / static -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "Asia/Makassar"  # Bali (WITA); stored values are UTC (USE_TZ)
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / ".data" / "media"
# Uploads nobody may fetch by URL (claim proof documents); staff read them through the admin.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("AGNT_DATA_DIR") or BASE_DIR / ".data") / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

# --- Outbound webhooks (agents/platform/webhook_client.py) -------------------------------------
# Development and tests only: lets webhook subscriptions target localhost / private
# networks and plain http (SSRF guard off). `make run` turns it on for local receivers.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = E.bool_("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_TIMEOUT_SECONDS = E.int_("WEBHOOK_TIMEOUT_SECONDS", 10)  # per attempt; a slow receiver fails and is retried
# A subscription is disabled (and its owner told) after this many consecutive failed
# attempts, or when every attempt for this many hours has failed.
WEBHOOK_AUTODISABLE_FAILURES = E.int_("WEBHOOK_AUTODISABLE_FAILURES", 50)
WEBHOOK_AUTODISABLE_HOURS = E.int_("WEBHOOK_AUTODISABLE_HOURS", 24)

# --- DRF ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["agnt.auth.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "agnt.api.schema.AgntAutoSchema",
    # JSON with agnt.jsonbody's size and depth limits (DRF's own parser lets a deep body 500)
    "DEFAULT_PARSER_CLASSES": [
        "agnt.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AGNT consumer API",
    "DESCRIPTION": "First-party API for the AGNT consumer app. Authenticate with POST /api/auth/token, then send `Authorization: Bearer <access>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api",
    # several "kind" fields with different choices: name each enum after its model's choices
    "ENUM_NAME_OVERRIDES": {
        "MemoryKindEnum": "knowledge.models.MemoryKind",
        "UserListKindEnum": "venues.models.UserListKind",
        "CreditKindEnum": "billing.models.credits.CreditKind",
    },
}

# --- Logging: JSON lines when DEBUG is off -----------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain" if DEBUG else "json"},
        "errorlog": {"class": "agnt.logging.ErrorLogHandler", "level": "ERROR"},
    },
    "root": {"handlers": ["console", "errorlog"], "level": E.str_("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler would print every request error twice next to ours.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # httpx logs every request URL at INFO; Telegram URLs carry the bot token in the path.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # the stripe library logs every request and response at INFO
        "stripe": {"level": "WARNING"},
        # The MCP SDK logs every stateless /mcp request ("Terminating session: None") at INFO.
        "mcp": {"level": "WARNING"},
    },
}

from agnt.admin_site import UNFOLD  # noqa: E402,F401 - admin theme configuration
