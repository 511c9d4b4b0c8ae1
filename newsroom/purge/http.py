"""One HTTP request to a cache's purge endpoint; any failure is a PurgeError."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

TIMEOUT = 10


class PurgeError(Exception):
    """The cache in front did not accept a purge (retried by the task)."""


def send(method: str, url: str, *, headers: dict, body: bytes | None = None) -> bytes:
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection
        if parts.scheme == "https"
        else http.client.HTTPConnection
    )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    except OSError as exc:
        raise PurgeError(f"{method} {parts.hostname}: {exc}") from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise PurgeError(f"{method} {url} answered {response.status}: {data[:200]!r}")
    return data


def send_json(url: str, payload: dict, *, headers: dict) -> dict:
    data = send(
        "POST",
        url,
        headers={**headers, "Content-Type": "application/json"},
        body=json.dumps(payload).encode(),
    )
    try:
        return json.loads(data or b"{}")
    except ValueError as exc:
        raise PurgeError(f"POST {url} answered something not JSON") from exc


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
