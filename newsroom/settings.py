"""Newsroom settings: one module, driven by environment variables.

Development defaults (SQLite, DEBUG on, a throwaway key) make `make run` work
with no configuration; production sets DEBUG=0 and the variables the README
lists, and `manage.py check --deploy` then holds it to that.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from newsroom.env import (
    cache_is_shared,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_cache_url,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Newsroom")
SITE_LANGUAGE = env_str("SITE_LANGUAGE", "en")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Background tasks: the database backend needs no broker (one machine);
# TASKS_BACKEND=rq spreads work over RQ workers on Redis (TASKS below).
TASKS_BACKEND = env_str("TASKS_BACKEND", "db")

INSTALLED_APPS = [
    # Django's admin with a throttled login (newsroom/admin_site.py).
    "newsroom.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # For SearchVectorField; harmless on SQLite, where search falls back.
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "nested_admin",
    "django_prose_editor",
    "django_tasks_db",
    "newsroom",
    "articles",
    "newsletter",
    # Gives the RQ workers their command, `manage.py rqworker`.
    *(["django_rq"] if TASKS_BACKEND == "rq" else []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside CommonMiddleware, whose refusals (a 400 for an unknown host)
    # only pass the middleware above them: every answer gets these headers.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Responses are private unless a view declares them public (articles/http.py).
    "articles.http.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "newsroom.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

# Reader pages (Jinja2) get what they print: the site's name and address,
# and the navigation with the page chrome (articles/chrome.py). Django's
# Jinja2 backend adds `request` and the CSRF input itself; no reader
# template reads the user, messages or a CSP nonce, which each cost every
# request a little.
_READER_CONTEXT_PROCESSORS = [
    "newsroom.context_processors.site",
    "articles.context_processors.navigation",
]
# The admin, e-mails, feeds and sitemaps (Django templates), none of which
# shows the navigation.
_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.template.context_processors.csp",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "newsroom.context_processors.site",
]

TEMPLATES = [
    {
        # Reader pages (jinja2/): Jinja2, for the speed of a cold render
        # (README, Decisions). Looked up first; anything not there falls
        # through to Django templates below.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "newsroom.jinja2.environment",
            "context_processors": _READER_CONTEXT_PROCESSORS,
        },
    },
    {
        # The admin, e-mails, feeds, sitemaps and the database-free 500 page.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        # App template dirs stay on only for the admin and third-party apps;
        # our own templates all live in templates/<app>/.
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the task worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": parse_cache_url(env_str("CACHE_URL", "locmem://newsroom"))}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en-us")
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# With DEBUG off nothing in Django serves MEDIA_ROOT: name what does (e.g.
# "nginx", deploy/nginx/newsroom.conf) or newsroom.W008 says so. Media in a
# bucket (AWS_STORAGE_BUCKET_NAME, below) need nothing here.
MEDIA_SERVED_BY = env_str("MEDIA_SERVED_BY", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email. EMAIL_URL picks the transport; the "bulk" mailer is what editions
# go through, so it can point at a different relay than transactional mail.
MAILERS = {
    "default": parse_email_url(env_str("EMAIL_URL", "console://")),
}
MAILERS["bulk"] = parse_email_url(
    env_str("BULK_EMAIL_URL", env_str("EMAIL_URL", "console://"))
)
# Providers' tracking webhooks (/anymail/<provider>/tracking/, newsletter/
# webhooks.py): every post must carry this basic auth ("user:password"), and
# for Mailgun and SendGrid their signature too. Unset: every post is refused.
ANYMAIL = {
    key: value
    for key, value in {
        "WEBHOOK_SECRET": env_secret("ANYMAIL_WEBHOOK_SECRET"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env_secret("MAILGUN_WEBHOOK_SIGNING_KEY"),
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": env_secret(
            "SENDGRID_WEBHOOK_VERIFICATION_KEY"
        ),
    }.items()
    if value
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Newsroom <newsroom@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Background tasks (TASKS_BACKEND is read above, before INSTALLED_APPS).
_TASK_BACKENDS = {
    "db": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "email"],
    },
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", "email"]},
    "immediate": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "email"],
    },
    "dummy": {
        "BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "QUEUES": ["default", "email"],
    },
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}."
    )
TASKS = {"default": _TASK_BACKENDS[TASKS_BACKEND]}
if TASKS_BACKEND == "rq":
    _redis_url = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUES = {
        name: {"URL": _redis_url, "DEFAULT_TIMEOUT": 600}
        for name in ("default", "email")
    }

# Security. Production (DEBUG off) gets the strict values by default.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env_bool("BEHIND_HTTPS_PROXY", False)
    else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
# Preload-ready by default in production (a year, subdomains, preload): a
# newsroom's subdomains should all be https. Turn off only knowingly.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# Reader pages carry no inline script or style, so a cached page never holds
# a stale nonce; the admin's inline scripts get one per response.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Security: key rotation. Put the old key here (space or comma separated, or
# a *_FILE) when setting a new SECRET_KEY: sessions, signed links and the
# newsletter's unsubscribe tokens made with it keep working.
SECRET_KEY_FALLBACKS = env_secret("SECRET_KEY_FALLBACKS").replace(",", " ").split()

# Security: client addresses, throttling (newsroom/clientip.py, admin_site.py).
# Addresses or CIDR networks of our own reverse proxies / load balancers; only
# when the peer is one of them is X-Forwarded-For read (right-most untrusted hop).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# Django's CSRF-middleware check looks for its own class by name; ours is a
# subclass (newsroom/csrf.py) and newsroom.W007 checks for any subclass.
SILENCED_SYSTEM_CHECKS = ["security.W003"]
# The admin is the only login: after it, or when a `next` is refused as
# off-site, go to the admin's index (Django's default is /accounts/profile/).
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
# The admin home's desk panels, one function per app (newsroom/dashboard.py).
ADMIN_DASHBOARD_PANELS = [
    "articles.dashboard.panels",
    "newsletter.dashboard.panels",
]

ADMIN_LOGIN_THROTTLE = {
    "FAILURES_PER_USER_AND_IP": env_int("ADMIN_LOGIN_FAILURES_PER_USER_AND_IP", 5),
    "FAILURES_PER_IP": env_int("ADMIN_LOGIN_FAILURES_PER_IP", 50),
    "FAILURES_PER_USER": env_int("ADMIN_LOGIN_FAILURES_PER_USER", 20),
    "FAILURES_PER_DEVICE": env_int("ADMIN_LOGIN_FAILURES_PER_DEVICE", 5),
    "WINDOW_SECONDS": env_int("ADMIN_LOGIN_WINDOW_SECONDS", 15 * 60),
}

# Media on S3-compatible object storage (optional; README "Deploying").
# AWS_STORAGE_BUCKET_NAME turns it on and needs the `s3` extra
# (django-storages[s3], which brings boto3). Credentials are never settings:
# boto3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
MEDIA_BUCKET = env_str("AWS_STORAGE_BUCKET_NAME", "")
if MEDIA_BUCKET:
    _endpoint = env_str("AWS_S3_ENDPOINT_URL", "").rstrip("/")
    _domain = env_str("AWS_S3_CUSTOM_DOMAIN", "")
    _region = env_str("AWS_S3_REGION_NAME", "")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "endpoint_url": _endpoint or None,
            "region_name": _region or None,
            "custom_domain": _domain or None,
            "location": env_str("AWS_LOCATION", "media"),
            # Hero and author photos are public: plain URLs that feeds and
            # caches can keep, not signed ones that expire.
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
    # Reader pages load those images from the bucket (or its CDN): allow
    # exactly that origin in the CSP, or MEDIA_ORIGIN if given.
    if env_str("MEDIA_ORIGIN", ""):
        _origins = env_list("MEDIA_ORIGIN", [])
    elif _domain:
        _origins = [f"https://{_domain}"]
    elif _endpoint:
        _scheme, _sep, _rest = _endpoint.partition("://")
        if not _sep:
            raise ImproperlyConfigured(
                "AWS_S3_ENDPOINT_URL must start with https:// (or http://)."
            )
        _host = _rest.split("/", 1)[0]
        _origins = [f"{_scheme}://{_host}", f"{_scheme}://{MEDIA_BUCKET}.{_host}"]
    else:
        _region_part = f".{_region}" if _region else ""
        _origins = [f"https://{MEDIA_BUCKET}.s3{_region_part}.amazonaws.com"]
    SECURE_CSP["img-src"] = [*SECURE_CSP["img-src"], *_origins]

# Editorial guidance and reading-time thresholds (see articles/brevity.py).
BREVITY = {
    "WORDS_PER_MINUTE": env_int("BREVITY_WORDS_PER_MINUTE", 230),
    "HEADLINE_MAX_WORDS": env_int("BREVITY_HEADLINE_MAX_WORDS", 14),
    "BULLET_MAX_WORDS": env_int("BREVITY_BULLET_MAX_WORDS", 40),
    "SECTION_MAX_WORDS": env_int("BREVITY_SECTION_MAX_WORDS", 120),
    "SECTION_MAX_BULLETS": env_int("BREVITY_SECTION_MAX_BULLETS", 5),
    "TOTAL_MAX_WORDS": env_int("BREVITY_TOTAL_MAX_WORDS", 600),
}

ARTICLES_PER_PAGE = env_int("ARTICLES_PER_PAGE", 12)
# Seconds a reader page may be cached by the browser or a CDN.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 60)
NEWSLETTER_RATE_LIMIT_PER_SECOND = env_float("NEWSLETTER_RATE_LIMIT_PER_SECOND", 0)

# Every record passes newsroom.logging.RedactSecrets before it is written:
# request lines and "Not Found" warnings carry signed tokens in their paths,
# form dumps and tracebacks can carry passwords.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "newsroom.logging.RedactSecrets"}},
    "formatters": {"plain": {"format": "{levelname} {name}: {message}", "style": "{"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_secrets"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's defaults give these handlers of their own, which would
        # bypass the filter: route them through the root handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# Page cache in front of Django (newsroom/pagecache.py). On by default in
# production; the content version is shared through a file on one machine,
# or through the cache backend (PAGE_CACHE_VERSION=cache) across machines.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE", not DEBUG)
PAGE_CACHE_VERSION = env_str("PAGE_CACHE_VERSION", "file")
PAGE_CACHE_VERSION_FILE = env_str(
    "PAGE_CACHE_VERSION_FILE", str(BASE_DIR / "var" / "content-version")
)
# Bytes of pages each web process keeps (bodies and headers), least recently
# used out first: a few thousand brief pages of the demo's size.
PAGE_CACHE_MAX_BYTES = env_int("PAGE_CACHE_MAX_BYTES", 32_000_000)
# Pages rendered by one web process are shared with the others through
# Django's cache (newsroom/pagecache.py): on by default when that cache is
# shared by the processes (Redis, files), pointless with locmem or dummy.
# WSGI apps wrapped around the page cache, answering their own addresses
# before it (newsroom/wsgi.py): the newsletter's click redirects and pixels.
WSGI_FAST_PATHS = ["newsletter.views_tracking.TrackingFastPath"]
PAGE_CACHE_SHARED = env_bool("PAGE_CACHE_SHARED", cache_is_shared(CACHES["default"]))
# How a cached page learns it is stale (newsroom/pagecache.py): "keys", only
# when something it shows changed (its surrogate keys), or "global", after
# any public change. docs: the Decision on per-key invalidation.
PAGE_CACHE_INVALIDATION = env_str("PAGE_CACHE_INVALIDATION", "keys")
if PAGE_CACHE_INVALIDATION not in ("keys", "global"):
    raise ImproperlyConfigured("PAGE_CACHE_INVALIDATION must be keys or global.")
# Shared caches (a CDN, Varnish) may keep a public page this long; browsers
# keep it PAGE_CACHE_SECONDS. Purges (FRONTEND_CACHE_URL) keep them exact.
PAGE_CACHE_SHARED_SECONDS = env_int("PAGE_CACHE_SHARED_SECONDS", 24 * 3600)
# The cache in front to purge on a public change (newsroom/purge/), e.g.
# varnish://127.0.0.1:6081, fastly://SERVICE_ID, cloudflare://ZONE_ID; empty: none.
FRONTEND_CACHE_URL = env_str("FRONTEND_CACHE_URL", "")
FASTLY_API_TOKEN = env_secret("FASTLY_API_TOKEN", "")
CLOUDFLARE_API_TOKEN = env_secret("CLOUDFLARE_API_TOKEN", "")
# Test doubles and proxies: where the Fastly and Cloudflare APIs answer.
FASTLY_API_URL = env_str("FASTLY_API_URL", "https://api.fastly.com")
CLOUDFLARE_API_URL = env_str("CLOUDFLARE_API_URL", "https://api.cloudflare.com")
# Cloudflare plans without Cache-Tag purge: purge the pages' URLs instead.
CLOUDFLARE_PURGE_BY = env_str("CLOUDFLARE_PURGE_BY", "tags")
PAGE_CACHE_SKIP_PREFIXES = (
    "/admin/",
    "/_nested_admin/",
    "/preview/",
    "/newsletter/",
    "/static/",
    "/media/",
)

# Newsletter (newsletter/; the README's "Newsletter" section explains each).
NEWSLETTER = {
    # Days a confirmation link works.
    "CONFIRM_MAX_AGE_DAYS": env_int("NEWSLETTER_CONFIRM_MAX_AGE_DAYS", 7),
    # Signup form posts per client address (IPv6: per /64) per hour; 0 = no limit.
    "SIGNUPS_PER_IP_PER_HOUR": env_int("NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR", 20),
    # Signup form posts of one address per hour, from any client; 0 = no limit.
    "SIGNUPS_PER_ADDRESS_PER_HOUR": env_int(
        "NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR", 5
    ),
    # At most one confirmation / "already subscribed" mail per address this
    # often (a day): however often a stranger submits an address, its owner
    # gets one mail from us a day.
    "REQUEST_MAIL_INTERVAL_MINUTES": env_int(
        "NEWSLETTER_REQUEST_MAIL_MINUTES", 24 * 60
    ),
    # An address that reads unsubscribe mail, added to List-Unsubscribe if set.
    "UNSUBSCRIBE_MAILTO": env_str("NEWSLETTER_UNSUBSCRIBE_MAILTO", ""),
    # List-Id is "<slug>.<this>"; empty uses SITE_URL's host name.
    "LIST_ID_DOMAIN": env_str("NEWSLETTER_LIST_ID_DOMAIN", ""),
    # Sending: rows per task, tasks started in parallel per edition, seconds a
    # claimed row stays a worker's before another takes it over, and retries.
    "BATCH_SIZE": env_int("NEWSLETTER_BATCH_SIZE", 500),
    "PARALLEL_BATCHES": env_int("NEWSLETTER_PARALLEL_BATCHES", 1),
    "LEASE_SECONDS": env_int("NEWSLETTER_LEASE_SECONDS", 300),
    "MAX_ATTEMPTS": env_int("NEWSLETTER_MAX_ATTEMPTS", 5),
    "RETRY_BASE_SECONDS": env_int("NEWSLETTER_RETRY_BASE_SECONDS", 60),
    # The breaker (newsletter/breaker.py) pauses a send after this many
    # messages in a row fail for the same reason that is not the reader's,
    # or when more than half of the last BREAKER_WINDOW do; 0 = that check off.
    "BREAKER_RUN": env_int("NEWSLETTER_BREAKER_RUN", 20),
    "BREAKER_WINDOW": env_int("NEWSLETTER_BREAKER_WINDOW", 50),
    # Soft bounces (mailbox full, server down) reported by a provider, in a
    # row since mail to the address was last confirmed delivered, before the
    # address is suppressed like a hard bounce; 0 = never.
    "SOFT_BOUNCE_LIMIT": env_int("NEWSLETTER_SOFT_BOUNCE_LIMIT", 3),
    # Click tracking (newsletter/tracking.py, results.py): one reader's
    # clicks on two or more different links within this many seconds of
    # each other, within SCANNER_AFTER_SEND_SECONDS of the message leaving
    # us, are a mail scanner's, not a person's, and are not counted.
    "SCANNER_BURST_SECONDS": env_int("NEWSLETTER_SCANNER_BURST_SECONDS", 2),
    "SCANNER_AFTER_SEND_SECONDS": env_int("NEWSLETTER_SCANNER_AFTER_SEND_SECONDS", 600),
}

# Reader site: search, feeds, sitemaps, SEO, images and HTTP caching.
# Full-text search configuration on PostgreSQL ("english", "french", "simple"…);
# changing it needs `manage.py rebuild_search_index`.
SEARCH_LANGUAGE = env_str("SEARCH_LANGUAGE", "english")
SEARCH_MAX_QUERY_LENGTH = 200
FEED_ITEMS = env_int("FEED_ITEMS", 20)
# Google News takes briefs published in the last two days.
NEWS_SITEMAP_HOURS = 48
# A raster logo (static path) for JSON-LD publishers and sharing cards.
SITE_LOGO = env_str("SITE_LOGO", "img/logo.png")
SITE_TWITTER = env_str("SITE_TWITTER", "")
# Uploads: formats Pillow may open, and limits that stop decompression bombs.
IMAGE_FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]
IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 15 * 1024 * 1024)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)
IMAGE_RENDITION_WIDTHS = [480, 800, 1200, 1600]
# Identifies the deployed code in ETags; by default a hash of the templates,
# static files and Python sources, so a deploy never serves a 304 for old HTML.
RELEASE = env_str("RELEASE", "")
