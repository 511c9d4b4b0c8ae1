"""The adapter FRONTEND_CACHE_URL names (newsroom/purge/__init__.py lists them)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from newsroom.purge.cloudflare import Cloudflare
from newsroom.purge.fastly import Fastly
from newsroom.purge.varnish import Varnish

ADAPTERS = {"varnish": Varnish, "fastly": Fastly, "cloudflare": Cloudflare}
SCHEMES = tuple(ADAPTERS)


def backend():
    """The configured adapter, or None when nothing is in front."""
    url = settings.FRONTEND_CACHE_URL
    if not url:
        return None
    adapter = ADAPTERS.get(urlsplit(url).scheme)
    if adapter is None:
        raise ImproperlyConfigured(
            f"FRONTEND_CACHE_URL must start with one of {', '.join(SCHEMES)}://"
        )
    return adapter.from_url(url)
