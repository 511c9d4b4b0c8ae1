"""Cloudflare: purge by Cache-Tag, or by URL on plans without tag purge.

`POST /client/v4/zones/{zone_id}/purge_cache` with a Bearer token and a JSON
body: `{"tags": [...]}` (our responses carry the keys in `Cache-Tag`, which
Cloudflare does not pass on to browsers), or with CLOUDFLARE_PURGE_BY=urls
`{"files": [...]}` for the pages the keys name (newsroom/purge/urls.py), or
`{"purge_everything": true}` when they name too many to list. At most 30 tags
or URLs a request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from newsroom.purge.http import PurgeError, chunks, send_json
from newsroom.purge.urls import urls_for

ITEMS_PER_REQUEST = 30


class Cloudflare:
    def __init__(self, zone_id: str, token: str, api_url: str, by: str = "tags"):
        self.zone_id, self.token, self.api_url, self.by = zone_id, token, api_url, by

    @classmethod
    def from_url(cls, url: str) -> Cloudflare:
        zone_id = urlsplit(url).netloc
        if not zone_id or not settings.CLOUDFLARE_API_TOKEN:
            raise ImproperlyConfigured(
                "FRONTEND_CACHE_URL=cloudflare://ZONE_ID needs the zone id and "
                "CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_TOKEN_FILE)."
            )
        if settings.CLOUDFLARE_PURGE_BY not in ("tags", "urls"):
            raise ImproperlyConfigured("CLOUDFLARE_PURGE_BY must be tags or urls.")
        return cls(
            zone_id,
            settings.CLOUDFLARE_API_TOKEN,
            settings.CLOUDFLARE_API_URL.rstrip("/"),
            settings.CLOUDFLARE_PURGE_BY,
        )

    def purge(self, keys: list[str]) -> None:
        if self.by == "tags":
            for part in chunks(sorted(keys), ITEMS_PER_REQUEST):
                self._post({"tags": part})
            return
        urls = urls_for(keys)
        if urls is None:
            self._post({"purge_everything": True})
            return
        for part in chunks(sorted(urls), ITEMS_PER_REQUEST):
            self._post({"files": part})

    def _post(self, payload: dict) -> None:
        answer = send_json(
            f"{self.api_url}/client/v4/zones/{self.zone_id}/purge_cache",
            payload,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        if not answer.get("success"):
            raise PurgeError(f"Cloudflare refused the purge: {answer.get('errors')}")
