"""One settings file; every knob comes from the environment (see README.md and .env.example)."""

import os
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def envnetworks(name: str) -> list[IPv4Network | IPv6Network]:
    """Comma-separated IP addresses or CIDR blocks ("10.0.0.0/8, 192.0.2.7"); empty: none."""
    try:
        return [ip_network(part.strip()) for part in os.environ.get(name, "").split(",") if part]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None


DEBUG = envbool("DJANGO_DEBUG")
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"  # public: in this repository
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY.strip() in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set (or is the public development key): set it to a long "
        "random string, e.g. the output of `python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'`, or set DJANGO_DEBUG=true on a developer's machine."
        " `make run` generates one into var/secret-key."
    )
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "channels",
    "csp",
    "axes",
    "crm_bridge",
    "dashboard",
]

MIDDLEWARE = [
    "config.logs.request_log",
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dashboard.language.user_language",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.middleware.htmx_messages",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# No persistent connections (CONN_MAX_AGE 0), as Django advises under ASGI: daphne runs each
# request's ORM calls in a thread of its own, and each kept its connection open (300 requests
# left 53 PostgreSQL connections). The event processor and the receiver's writer thread hold
# one connection each for as long as they run.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets daphne, the Celery worker and beat read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before checking it
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "board"
LOGOUT_REDIRECT_URL = "login"

# Polish and English (README "Languages"): a user's own choice, else the browser's
# Accept-Language, else Polish. Compiled catalogues (locale/*/LC_MESSAGES/django.mo) are
# committed.
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("THULIUM_TIMEZONE", "Europe/Warsaw")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # var/ also holds the default SQLite file
WHITENOISE_USE_FINDERS = True

# --- Security (README "Security") ----------------------------------------------------------
# Proxies whose X-Forwarded-For is believed (config/security.py): for the login lockout and
# the webhook allow-list. Empty: the TCP peer is the client.
TRUSTED_PROXIES = envnetworks("TRUSTED_PROXIES")
# Served over HTTPS (usually a TLS proxy in front): secure cookies, redirect to HTTPS, HSTS.
HTTPS = envbool("DJANGO_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # the proxy's plain checks
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD")
if not SECURE_HSTS_PRELOAD:  # preloading is the domain owner's call, not a default
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
# The header a TLS proxy sets to say the client used HTTPS, e.g. X-Forwarded-Proto. Only for
# a proxy that overwrites it: a client could send it too.
if os.environ.get("DJANGO_PROXY_SSL_HEADER"):
    _header = os.environ["DJANGO_PROXY_SSL_HEADER"].strip().upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_header}", "https")

# No inline scripts (static/dashboard/*.js); inline style attributes only (a bar's width).
# connect-src also gets ws(s):// of the page's own host (config/security.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login lockout (django-axes): this many wrong passwords for one username from one address
# lock that pair out for the cool-off; a successful login resets the count. Admin → Axes.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.security.request_client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Redis: channel layer, Celery broker, locks ---------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# Publish once per process, fan out in memory (issue 7, docs/PERFORMANCE.md): each daphne
# process holds one Redis subscription per group its sockets are in, a push is one PUBLISH,
# and joining or leaving a group touches Redis only for a process's first and last socket, so
# a reconnect storm needs no pool of connections and a close storm leaves no member behind.
# Nothing is stored: a socket gets what is published while it is open, and a (re)connecting
# one starts from a snapshot. A connection idle for 30 s pings before use, and one that was
# dropped (Redis restarted) is reconnected and the command retried once, not failed.
_redis_db = urlparse(REDIS_URL).path.strip("/")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "health_check_interval": 30,
                    "retry_on_error": [RedisConnectionError],
                }
            ],
            # Pub/sub channels are server-wide, not per database: the prefix carries the
            # database so deployments (and the test stack) on one Redis never hear each other.
            "prefix": f"asgi.{_redis_db if _redis_db.isdigit() else 0}.",
        },
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}

# --- Thulium ---------------------------------------------------------------------------------
THULIUM_API_URL = os.environ.get("THULIUM_API_URL", "http://127.0.0.1:8100/api/")
THULIUM_API_USER = os.environ.get("THULIUM_API_USER", "api")
THULIUM_API_PASSWORD = os.environ.get("THULIUM_API_PASSWORD", "api-secret")
THULIUM_WEBHOOK_USER = os.environ.get("THULIUM_WEBHOOK_USER", "thulium")
THULIUM_WEBHOOK_PASSWORD = os.environ.get("THULIUM_WEBHOOK_PASSWORD", "webhook-secret")
# Addresses Thulium's webhooks may come from (IPs or CIDR blocks); empty: any.
THULIUM_WEBHOOK_ALLOWED_IPS = envnetworks("THULIUM_WEBHOOK_ALLOWED_IPS")
THULIUM_TIMEZONE = TIME_ZONE
THULIUM_POLL_SECONDS = envint("THULIUM_POLL_SECONDS", 3)
THULIUM_TIMEOUT_SECONDS = envint("THULIUM_TIMEOUT_SECONDS", 5)
# Thulium's messages come in the user's language; this one is for work no user asked for
# (polls: their errors are on every user's screen). Thulium's own default is English.
THULIUM_LANGUAGE = os.environ.get("THULIUM_LANGUAGE", "en")
# Campaigns: outbounds/stats every 15 s, the campaign list and agent lists every minute,
# a completion sample for the sparkline at most every 5 minutes per campaign.
THULIUM_CAMPAIGN_STATS_SECONDS = envint("THULIUM_CAMPAIGN_STATS_SECONDS", 15)
THULIUM_CAMPAIGN_LIST_SECONDS = envint("THULIUM_CAMPAIGN_LIST_SECONDS", 60)
THULIUM_CAMPAIGN_SAMPLE_SECONDS = envint("THULIUM_CAMPAIGN_SAMPLE_SECONDS", 300)
# Chats and e-mail today (chats/reports/summary, tickets/today_stats): asked this often.
THULIUM_CHANNELS_SECONDS = envint("THULIUM_CHANNELS_SECONDS", 30)

# Who is calling (crm_bridge/customers.py): a caller's name from Thulium's CRM is kept this
# long, "unknown number" this long, and Thulium gets at most this many CRM requests a second
# (0: no lookups).
CUSTOMER_CACHE_SECONDS = envint("CUSTOMER_CACHE_SECONDS", 3600)
CUSTOMER_MISS_SECONDS = envint("CUSTOMER_MISS_SECONDS", 300)
CUSTOMER_LOOKUPS_PER_SECOND = envint("CUSTOMER_LOOKUPS_PER_SECOND", 5)

# --- Queues and wallboards (issue #3; docs/metrics.md) ---------------------------------------
QUEUE_DAY_RESET = os.environ.get("QUEUE_DAY_RESET", "00:00")  # "today" starts here, local time
QUEUE_WINDOW_MINUTES = envint("QUEUE_WINDOW_MINUTES", 60)
QUEUE_SHORT_ABANDON_SECONDS = envint("QUEUE_SHORT_ABANDON_SECONDS", 5)
QUEUE_SL_SECONDS = envint("QUEUE_SL_SECONDS", 20)  # default for newly learned queues
QUEUE_STALE_CALL_MINUTES = envint("QUEUE_STALE_CALL_MINUTES", 60)  # no event for this long: expired
QUEUE_REFRESH_SECONDS = envint("QUEUE_REFRESH_SECONDS", 10)
QUEUE_PUSH_DELAY_MS = envint("QUEUE_PUSH_DELAY_MS", 250)  # coalesce pushes; 0: at once
# Raw webhook events and per-call rows are pruned after this many days (whole local days);
# the per-queue interval and per-campaign day aggregates are kept (crm_bridge/retention.py).
EVENT_RETENTION_DAYS = envint("EVENT_RETENTION_DAYS", 35)

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat's scheduler writes beat's heartbeat on each tick (crm_bridge/heartbeats.py).
CELERY_BEAT_SCHEDULER = "crm_bridge.heartbeats:Scheduler"
CELERY_BEAT_SCHEDULE = {
    "poll-agent-statuses": {
        "task": "crm_bridge.tasks.poll_agent_statuses",
        "schedule": float(THULIUM_POLL_SECONDS),
        "options": {"expires": float(THULIUM_POLL_SECONDS)},
    },
    "watch-data-health": {
        "task": "crm_bridge.tasks.watch_data_health",
        "schedule": 10.0,
        "options": {"expires": 10.0},
    },
    "poll-agent-directory": {
        "task": "crm_bridge.tasks.poll_agent_directory",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "refresh-queues": {
        "task": "dashboard.tasks.refresh_queues",
        "schedule": float(QUEUE_REFRESH_SECONDS),
        "options": {"expires": float(QUEUE_REFRESH_SECONDS)},
    },
    "poll-campaign-stats": {
        "task": "crm_bridge.tasks.poll_campaign_stats",
        "schedule": float(THULIUM_CAMPAIGN_STATS_SECONDS),
        "options": {"expires": float(THULIUM_CAMPAIGN_STATS_SECONDS)},
    },
    "poll-campaign-list": {
        "task": "crm_bridge.tasks.poll_campaign_list",
        "schedule": float(THULIUM_CAMPAIGN_LIST_SECONDS),
        "options": {"expires": float(THULIUM_CAMPAIGN_LIST_SECONDS)},
    },
    "poll-channels": {
        "task": "crm_bridge.tasks.poll_channels",
        "schedule": float(THULIUM_CHANNELS_SECONDS),
        "options": {"expires": float(THULIUM_CHANNELS_SECONDS)},
    },
    "prune-history": {
        "task": "crm_bridge.tasks.prune_history",
        "schedule": 900.0,
        "options": {"expires": 900.0},
    },
}

# --- Health, metrics and logs (README "Health and metrics") ----------------------------------
# Metrics of every process of this host (daphne, the event processor, Celery) are summed from
# files in this folder (prometheus-client's multiprocess mode; set before it is imported):
# empty it when the product starts, as `make run` does.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(BASE_DIR / "var" / "prometheus")
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")  # empty: /metrics only from this host

# LOG_FORMAT=json: one JSON object per line (config/logs.py); otherwise readable lines.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
# One line per request, webhook delivery and Thulium call ("thulium_live.*" loggers): in JSON
# logs, and among the readable lines only with LOG_ACCESS=1 (make run's console stays calm).
ACCESS_LOG = LOG_FORMAT == "json" or envbool("LOG_ACCESS")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected": {"()": "config.logs.ExpectedAnswers"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
        "django.request": {"filters": ["expected"]},
        "thulium_live": {"level": "INFO" if ACCESS_LOG else "WARNING"},
    },
}
