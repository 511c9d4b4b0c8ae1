"""Fastly: purge by surrogate key.

`POST /service/{service_id}/purge` with the keys, space-separated, in a
`Surrogate-Key` header and the API token in `Fastly-Key` (at most 256 keys a
request). Fastly reads the same `Surrogate-Key` header on our responses and
does not pass it on to browsers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from newsroom.purge.http import chunks, send

KEYS_PER_REQUEST = 256


class Fastly:
    def __init__(self, service_id: str, token: str, api_url: str):
        self.service_id, self.token, self.api_url = service_id, token, api_url

    @classmethod
    def from_url(cls, url: str) -> Fastly:
        service_id = urlsplit(url).netloc
        if not service_id or not settings.FASTLY_API_TOKEN:
            raise ImproperlyConfigured(
                "FRONTEND_CACHE_URL=fastly://SERVICE_ID needs the service id "
                "and FASTLY_API_TOKEN (or FASTLY_API_TOKEN_FILE)."
            )
        return cls(
            service_id, settings.FASTLY_API_TOKEN, settings.FASTLY_API_URL.rstrip("/")
        )

    def purge(self, keys: list[str]) -> None:
        for part in chunks(sorted(keys), KEYS_PER_REQUEST):
            send(
                "POST",
                f"{self.api_url}/service/{self.service_id}/purge",
                headers={
                    "Fastly-Key": self.token,
                    "Surrogate-Key": " ".join(part),
                    "Accept": "application/json",
                },
            )
