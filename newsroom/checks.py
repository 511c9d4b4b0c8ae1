"""System checks for this project's own settings (ids newsroom.*).

Django's `check --deploy` covers its own settings; these cover what only this
project knows: the address in emails, the mail timeout, the cache the rate
limits count in, the proxies client addresses come through, the CSP.

- newsroom.E001  TRUSTED_PROXIES holds something that is not an address/network.
- newsroom.W001  (deploy) SITE_URL is not https.
- newsroom.W002  an SMTP mailer has no timeout: a silent server hangs a worker.
- newsroom.W003  (deploy) the cache is per process (or none): rate limits and
                 login throttling would not be shared by the web processes.
- newsroom.W004  (deploy) behind an HTTPS proxy with no TRUSTED_PROXIES: every
                 client looks like the proxy, so one limit covers everyone.
- newsroom.W005  (deploy) SITE_URL's host is not in ALLOWED_HOSTS.
- newsroom.W006  (deploy) SECURE_CSP is off or allows inline/eval scripts.
- newsroom.E002  media are set to go to S3 (AWS_STORAGE_BUCKET_NAME) but
                 django-storages / boto3 are not installed (the `s3` extra).
- newsroom.W007  (deploy) no CSRF middleware. Replaces Django's security.W003,
                 which only recognises Django's own class by name and so
                 misses newsroom.csrf.CsrfViewMiddleware (a subclass); settings
                 silence security.W003 for that reason.
- newsroom.W008  (deploy) media are stored on this machine but nothing in the
                 settings says what serves them (MEDIA_SERVED_BY): with DEBUG
                 off Django does not, so every image would be a 404.
- newsroom.E003  (database; run by `migrate`) the database is part-way through
                 a chain of migrations that a squashed one replaced and whose
                 files are gone: Django could neither finish the chain nor
                 use the squash, and would say nothing or fail obscurely.
"""

import pkgutil
from importlib import import_module
from importlib.util import find_spec
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.db import connections
from django.http.request import validate_host
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.csp import CSP
from django.utils.module_loading import import_string

from newsroom.clientip import trusted_networks

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SHARED_CACHES = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django.core.cache.backends.db.DatabaseCache",
)


@register(Tags.security)
def check_trusted_proxies(app_configs, **kwargs):
    try:
        trusted_networks()
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Use addresses or CIDR networks, e.g. 10.0.0.0/8,127.0.0.1.",
                id="newsroom.E001",
            )
        ]
    return []


@register(Tags.compatibility)
def check_mail_timeouts(app_configs, **kwargs):
    errors = []
    for name, entry in (getattr(settings, "MAILERS", None) or {}).items():
        if entry.get("BACKEND") != SMTP_BACKEND:
            continue
        if (entry.get("OPTIONS") or {}).get("timeout") is None:
            errors.append(
                Warning(
                    f"MAILERS[{name!r}] uses SMTP with no timeout.",
                    hint="A server that accepts a connection and never answers "
                    "would hold a worker for ever: set OPTIONS['timeout'] "
                    "(EMAIL_URL ?timeout=20).",
                    id="newsroom.W002",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme != "https":
        errors.append(
            Warning(
                f"SITE_URL ({settings.SITE_URL}) is not https.",
                hint="Links in emails, feeds and sitemaps use SITE_URL: set it "
                "to the public https:// address.",
                id="newsroom.W001",
            )
        )
    if parts.hostname and not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        errors.append(
            Warning(
                f"SITE_URL's host {parts.hostname!r} is not in ALLOWED_HOSTS.",
                hint="Requests to the site's own address would get 400.",
                id="newsroom.W005",
            )
        )
    return errors


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in SHARED_CACHES:
        return []
    return [
        Warning(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is not shared "
            "between processes.",
            hint="Rate limits and admin login throttling count in the cache: "
            "with several web processes each keeps its own count. Set "
            "CACHE_URL=redis://….",
            id="newsroom.W003",
        )
    ]


@register(Tags.security, deploy=True)
def check_proxy_addresses(app_configs, **kwargs):
    if settings.DEBUG or not settings.SECURE_PROXY_SSL_HEADER:
        return []
    try:
        networks = trusted_networks()
    except ImproperlyConfigured:
        return []  # newsroom.E001 says so
    if networks:
        return []
    return [
        Warning(
            "The site is behind a proxy (BEHIND_HTTPS_PROXY) but TRUSTED_PROXIES "
            "is empty.",
            hint="Every client then has the proxy's address, so one rate limit "
            "covers all readers. List the proxies' addresses in TRUSTED_PROXIES.",
            id="newsroom.W004",
        )
    ]


@register(Tags.security, deploy=True)
def check_csp(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    policy = getattr(settings, "SECURE_CSP", None) or {}
    scripts = policy.get("script-src") or policy.get("default-src")
    if not scripts:
        problem = "SECURE_CSP sets no script-src or default-src."
    elif CSP.UNSAFE_INLINE in scripts or CSP.UNSAFE_EVAL in scripts:
        problem = "SECURE_CSP allows 'unsafe-inline' or 'unsafe-eval' scripts."
    else:
        return []
    return [
        Warning(
            problem,
            hint="The CSP is what stops injected markup from running script.",
            id="newsroom.W006",
        )
    ]


@register(Tags.security, deploy=True)
def check_csrf_middleware(app_configs, **kwargs):
    for path in settings.MIDDLEWARE:
        try:
            middleware = import_string(path)
        except ImportError:
            continue
        if isinstance(middleware, type) and issubclass(middleware, CsrfViewMiddleware):
            return []
    return [
        Warning(
            "No CSRF middleware (django.middleware.csrf.CsrfViewMiddleware or a "
            "subclass) is in MIDDLEWARE.",
            hint="Without it no form is protected against cross-site requests.",
            id="newsroom.W007",
        )
    ]


@register(Tags.compatibility)
def check_media_storage(app_configs, **kwargs):
    backend = settings.STORAGES.get("default", {}).get("BACKEND", "")
    if not backend.startswith("storages."):
        return []
    missing = [name for name in ("storages", "boto3") if find_spec(name) is None]
    if not missing:
        return []
    return [
        Error(
            f"Media storage is {backend} but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not installed.",
            hint="Install the s3 extra: pip install 'django-storages[s3]==1.14.6' "
            "(see pyproject.toml), or unset AWS_STORAGE_BUCKET_NAME.",
            id="newsroom.E002",
        )
    ]


@register(Tags.files, deploy=True)
def check_media_server(app_configs, **kwargs):
    if settings.DEBUG or getattr(settings, "MEDIA_SERVED_BY", ""):
        return []
    backend = settings.STORAGES.get("default", {}).get("BACKEND", "")
    try:
        local = issubclass(import_string(backend), FileSystemStorage)
    except ImportError:
        return []  # newsroom.E002 (or Django) says so
    if not local:
        return []
    return [
        Warning(
            f"Media are stored in MEDIA_ROOT ({settings.MEDIA_ROOT}) but nothing "
            "is named to serve them, and with DEBUG off Django does not.",
            hint="Every uploaded image, its renditions, og:image and feed "
            "enclosures would be 404s. Serve MEDIA_ROOT at MEDIA_URL from the "
            "web server in front (deploy/nginx/newsroom.conf) and set "
            "MEDIA_SERVED_BY=nginx, or store media in a bucket "
            "(AWS_STORAGE_BUCKET_NAME).",
            id="newsroom.W008",
        )
    ]


def squashed_migrations(app_configs):
    """(app label, name, replaced names) of every migration that replaces others."""
    for app_config in app_configs or apps.get_app_configs():
        try:
            package = import_module(f"{app_config.name}.migrations")
        except ImportError:
            continue
        for module in pkgutil.iter_modules(getattr(package, "__path__", [])):
            migration = getattr(
                import_module(f"{package.__name__}.{module.name}"), "Migration", None
            )
            replaces = getattr(migration, "replaces", None)
            if replaces:
                yield app_config.label, module.name, [name for _, name in replaces]


@register(Tags.database)
def check_half_squashed(app_configs, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if "django_migrations" not in connection.introspection.table_names():
            continue  # a new database: every squash runs whole
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
        for label, name, replaced in squashed_migrations(app_configs):
            done = [old for old in replaced if (label, old) in applied]
            if (label, name) in applied or not done or len(done) == len(replaced):
                continue
            errors.append(
                Error(
                    f"The database {alias!r} is part-way through {label}'s old "
                    f"migrations ({len(done)} of {len(replaced)} applied, the "
                    f"last {done[-1]}), which {name} now replaces.",
                    hint="Migrate with the previous release first (every line "
                    f"of `manage.py showmigrations {label}` marked [X] there), "
                    "then upgrade: docs/deploying.md, Upgrading.",
                    id="newsroom.E003",
                )
            )
    return errors
