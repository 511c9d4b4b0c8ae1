"""Small typed readers for settings that come from the environment.

Each helper raises ImproperlyConfigured with the variable's name when a value
cannot be used, so a typo in a deployment fails at start-up, not at 3 a.m.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no.")


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _env_number(name: str, default, kind, what: str):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """Read NAME, or the contents of the file named by NAME_FILE.

    The *_FILE form lets container platforms mount secrets as files instead
    of exposing them in the process environment.
    """
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE: cannot read {path}: {exc}"
            ) from exc
    return os.environ.get(name, default)


def parse_email_url(url: str) -> dict:
    """Turn EMAIL_URL into one MAILERS entry.

    smtp://user:pass@host:587?tls=1   (also smtps:// for implicit TLS)
    console://   locmem://   dummy://   file:///path/to/dir
    anymail+postmark://?token=…   (a provider's API: parse_anymail_url)
    """
    if url.lower().startswith("anymail+"):
        # Not through urlsplit: "amazon_ses" is not a valid URL scheme.
        scheme, _, rest = url.partition("://")
        query = {k: v[-1] for k, v in parse_qs(rest.partition("?")[2]).items()}
        provider = scheme.lower().removeprefix("anymail+").replace("-", "_")
        return parse_anymail_url(provider, query)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
    }
    if scheme in backends:
        entry: dict = {"BACKEND": backends[scheme]}
        if scheme == "file":
            entry["OPTIONS"] = {"file_path": unquote(parts.path) or "var/mail"}
        return entry
    if scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not supported: use smtp, smtps, "
            "console, locmem, dummy, file or anymail+PROVIDER (e.g. "
            "anymail+postmark)."
        )
    try:
        port = parts.port or (465 if scheme == "smtps" else 25)
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL has an invalid port.") from None
    options = {
        "host": parts.hostname or "localhost",
        "port": port,
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_ssl": scheme == "smtps",
        "use_tls": query.get("tls", "").lower() in _TRUE,
        # A server that accepts a connection and never answers must not hold
        # a worker for ever: Django's default timeout is None.
        "timeout": float(query.get("timeout", 20)),
    }
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": options,
    }


# Sending through a provider's HTTP API with django-anymail: the URL's scheme
# names the provider, its query the backend's options (the short names on the
# left stand for anymail's on the right). Credentials may also come from
# anymail's own settings; boto3 reads the AWS ones from the environment.
ANYMAIL_PROVIDERS = {
    "amazon_ses": {"configuration_set": "configuration_set_name"},
    "postmark": {"token": "server_token"},
    "mailgun": {"key": "api_key", "domain": "sender_domain", "url": "api_url"},
    "sendgrid": {"key": "api_key"},
    "brevo": {"key": "api_key"},
    "test": {},
}


def parse_anymail_url(provider: str, query: dict) -> dict:
    """`anymail+postmark://?token=…` and the like: one MAILERS entry."""
    if provider not in ANYMAIL_PROVIDERS:
        raise ImproperlyConfigured(
            f"anymail+{provider}: the providers supported are "
            f"{', '.join(sorted(ANYMAIL_PROVIDERS))}."
        )
    aliases = ANYMAIL_PROVIDERS[provider]
    options: dict = {}
    for key, value in query.items():
        if key == "region" and provider == "amazon_ses":
            options["client_params"] = {"region_name": value}
        else:
            options[aliases.get(key, key)] = value
    return {
        "BACKEND": f"anymail.backends.{provider}.EmailBackend",
        "OPTIONS": options,
    }


def parse_cache_url(url: str) -> dict:
    """Turn CACHE_URL into one CACHES entry: locmem://, redis://…, file:///…, dummy://."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "locmem":
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": parts.netloc or "newsroom",
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": unquote(parts.path),
        }
    if scheme in {"redis", "rediss"}:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    raise ImproperlyConfigured(
        f"CACHE_URL scheme {scheme!r} is not supported: use locmem, redis, file or dummy."
    )


def cache_is_shared(cache: dict) -> bool:
    """Whether a CACHES entry is one store for every process (Redis, files),
    not a copy per process (locmem) or nothing (dummy)."""
    return not cache["BACKEND"].endswith(("LocMemCache", "DummyCache"))
