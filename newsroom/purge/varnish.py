"""Varnish with the xkey vmod: `PURGE /` with the keys in `xkey-purge`.

deploy/varnish/newsroom.vcl answers it. Several Varnish servers are
comma-separated in FRONTEND_CACHE_URL; each gets every purge.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from newsroom.purge.http import chunks, send

# Keys per request: keeps the header well under Varnish's 8 KB limit.
KEYS_PER_REQUEST = 200


class Varnish:
    def __init__(self, addresses: list[str]):
        self.addresses = addresses

    @classmethod
    def from_url(cls, url: str) -> Varnish:
        netloc = urlsplit(url).netloc
        return cls([address for address in netloc.split(",") if address])

    def purge(self, keys: list[str]) -> None:
        for address in self.addresses:
            for part in chunks(sorted(keys), KEYS_PER_REQUEST):
                send(
                    "PURGE",
                    f"http://{address}/",
                    headers={"xkey-purge": " ".join(part)},
                )
