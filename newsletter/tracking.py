"""Click and open tracking: signed per-reader links, and who is a scanner.

Tokens. A tracked link is `SITE_URL/c/<edition>.<link>.<reader>.<mac>`
(ids in base36; a 96-bit keyed BLAKE2b MAC of the three, its key derived
from SECRET_KEY, with SECRET_KEY_FALLBACKS accepted): one token per reader
and link, checked without the database. The link number indexes the
edition's TrackedLink rows, frozen when sending started: the redirect only
ever sends a reader to an address the edition itself carried, so it cannot
be turned into an open redirect. The open pixel is
`SITE_URL/o/<edition>.<reader>.<mac>`.

Speed. Keyed BLAKE2b is a MAC in one C call; sending computes a reader's
tokens in `ReaderTokens` and mime.py swaps them into placeholders in the
pre-encoded message, as it does the unsubscribe token.

Scanners. Mail security gateways and link prefetchers follow every link of
a message, usually within seconds of delivery. Requests that say what they
are (HEAD, prefetch headers, a crawler's user agent) record nothing; a
burst (two different links of one edition by one reader within
SCANNER_BURST_SECONDS, within SCANNER_AFTER_SEND_SECONDS of sending) is
stored and left out of the figures (newsletter/results.py).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import hmac
import logging
import re
import threading
import time
from html import escape, unescape

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import int_to_base36

from newsletter.models import Click, Edition, Open, Subscriber, TrackedLink
from newsletter.privacy import ERASED_DOMAIN
from newsroom.links import absolute_url

logger = logging.getLogger(__name__)

_MAC_BYTES = 12
_MAC_CHARS = 16
_ID_CHARS = 13
_POSITION_LETTERS = 3  # link numbers in placeholders: AAA..ZZZ
MAX_LINKS = 26**_POSITION_LETTERS
CLICK_MAX = _ID_CHARS + 1 + _ID_CHARS + 1 + _ID_CHARS + 1 + _MAC_CHARS
OPEN_MAX = _ID_CHARS + 1 + _ID_CHARS + 1 + _MAC_CHARS

# Stand-ins for a reader's tokens in the shared rendering (see mime.py):
# ASCII letters only, exactly as long as the longest token.
_LINK_HEAD = "NRxLINKx"
_OPEN_HEAD = "NRxOPENx"
OPEN_PLACEHOLDER = _OPEN_HEAD.ljust(OPEN_MAX, "x")
PLACEHOLDERS_PATTERN = (
    f"{_LINK_HEAD}[A-Z]{{{_POSITION_LETTERS}}}"
    f"x{{{CLICK_MAX - len(_LINK_HEAD) - _POSITION_LETTERS}}}|{OPEN_PLACEHOLDER}"
)
_PLACEHOLDER = re.compile(PLACEHOLDERS_PATTERN.encode("ascii"))
_ID = re.compile(r"[0-9a-z]{1,13}\Z")


def link_placeholder(position: int) -> str:
    letters = ""
    for _ in range(_POSITION_LETTERS):
        position, digit = divmod(position, 26)
        letters = chr(65 + digit) + letters
    return (_LINK_HEAD + letters).ljust(CLICK_MAX, "x")


def _position_of(placeholder: bytes) -> int:
    number = 0
    for c in placeholder[len(_LINK_HEAD) : len(_LINK_HEAD) + _POSITION_LETTERS]:
        number = number * 26 + (c - 65)
    return number


# Signing -------------------------------------------------------------------


def _key(purpose: str, secret: str) -> bytes:
    """The MAC key for `purpose`, derived from a secret (kept per process)."""
    found = _keys.get((purpose, secret))
    if found is None:
        found = _keys[(purpose, secret)] = hashlib.sha256(
            f"newsroom.newsletter.{purpose}{secret}".encode()
        ).digest()
    return found


_keys: dict = {}


def _mac(purpose: str, value: bytes, secret: str | None = None) -> bytes:
    # Keyed BLAKE2b is a MAC in one call: a reader's tokens cost microseconds.
    digest = hashlib.blake2b(
        value, key=_key(purpose, secret or settings.SECRET_KEY), digest_size=_MAC_BYTES
    ).digest()
    return base64.urlsafe_b64encode(digest)


def _verify(purpose: str, value: str, mac: str) -> bool:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    given = mac.encode("ascii", "replace")
    return any(
        hmac.compare_digest(_mac(purpose, value.encode("ascii"), s), given)
        for s in secrets
    )


def click_token(edition_id: int, position: int, subscriber_id: int) -> str:
    value = (
        f"{int_to_base36(edition_id)}.{int_to_base36(position)}."
        f"{int_to_base36(subscriber_id)}"
    )
    return f"{value}.{_mac('click', value.encode()).decode()}"


def open_token(edition_id: int, subscriber_id: int) -> str:
    value = f"{int_to_base36(edition_id)}.{int_to_base36(subscriber_id)}"
    return f"{value}.{_mac('open', value.encode()).decode()}"


def _ids(parts: list[str]) -> list[int] | None:
    if not all(_ID.match(p) for p in parts):
        return None
    return [int(p, 36) for p in parts]


def read_click_token(token: str) -> tuple[tuple[int, int, int] | None, tuple | None]:
    """((edition, position, subscriber) if genuine, (edition, position) as
    far as they can be read even when the MAC is wrong)."""
    parts = token.split(".")
    if len(parts) != 4:
        return None, None
    where = _ids(parts[:2])
    ids = _ids(parts[:3])
    if ids is None or not _verify("click", ".".join(parts[:3]), parts[3]):
        return None, (tuple(where) if where else None)
    return (ids[0], ids[1], ids[2]), (ids[0], ids[1])


def read_open_token(token: str) -> tuple[int, int] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    ids = _ids(parts[:2])
    if ids is None or not _verify("open", ".".join(parts[:2]), parts[2]):
        return None
    return ids[0], ids[1]


class ReaderTokens:
    """One edition's placeholders → a reader's tokens, fast (for mime.py)."""

    def __init__(self, edition_id: int, placeholders: set[bytes]):
        self.key = _key("click", settings.SECRET_KEY)
        self.open_key = _key("open", settings.SECRET_KEY)
        self.edition36 = int_to_base36(edition_id).encode()
        self.open = OPEN_PLACEHOLDER.encode() in placeholders
        self.links = [
            (p, self.edition36 + b"." + int_to_base36(_position_of(p)).encode() + b".")
            for p in sorted(placeholders)
            if p.startswith(_LINK_HEAD.encode())
        ]

    def values(self, subscriber_id: int) -> dict[bytes, bytes]:
        reader = int_to_base36(subscriber_id).encode()
        blake2b, encode, key = hashlib.blake2b, base64.urlsafe_b64encode, self.key
        out = {}
        for placeholder, prefix in self.links:
            value = prefix + reader
            mac = blake2b(value, key=key, digest_size=_MAC_BYTES).digest()
            out[placeholder] = value + b"." + encode(mac)
        if self.open:
            value = self.edition36 + b"." + reader
            mac = blake2b(value, key=self.open_key, digest_size=_MAC_BYTES).digest()
            out[OPEN_PLACEHOLDER.encode()] = value + b"." + encode(mac)
        return out


def placeholders_in(*templates: bytes) -> set[bytes]:
    found = set()
    for template in templates:
        found.update(_PLACEHOLDER.findall(template))
    return found


# Rewriting an edition's links when it is frozen ----------------------------

_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)
_TEXT_URL = re.compile(r"https?://\S+")


def links_of(snapshot: dict) -> list[tuple[str, str, str]]:
    """(url, kind, label) for every distinct address the edition's content
    links to, in order of first appearance: each brief, and the links in
    its text. Footer links (preferences, unsubscribe, the web copy) are not
    content and are never tracked."""
    found: dict[str, tuple[str, str, str]] = {}

    def add(url, kind, label=""):
        if url.startswith(("http://", "https://")) and url not in found:
            found[url] = (url, kind, label[:300])

    for url in _HREF.findall(snapshot.get("intro_html", "")):
        add(unescape(url), "link")
    for item in snapshot.get("items", []):
        add(item["url"], "brief", item["headline"])
        fragments = [item["summary"].get("html", "")]
        for section in item["sections"]:
            fragments.append(section["lead"]["html"])
            fragments += [b["html"] for b in section["bullets"]]
        for fragment in fragments:
            for url in _HREF.findall(fragment or ""):
                add(unescape(url), "link")
    return list(found.values())[:MAX_LINKS]


def click_base() -> str:
    return absolute_url(reverse("newsletter_click", kwargs={"token": "T"}))[:-1]


def rewrite(edition, snapshot: dict, text: str, html: str, *, clicks, opens):
    """The edition's (text, html) with its links through placeholders of
    signed redirects (and the open pixel); TrackedLink rows for them."""

    if clicks:
        links = links_of(snapshot)
        TrackedLink.objects.filter(edition=edition).delete()
        TrackedLink.objects.bulk_create(
            TrackedLink(edition=edition, position=i, url=url, kind=kind, label=label)
            for i, (url, kind, label) in enumerate(links)
        )
        base = click_base()
        target = {
            url: base + link_placeholder(i) for i, (url, _, _) in enumerate(links)
        }

        def href(match):
            url = unescape(match[1])
            return f'href="{escape(target[url])}"' if url in target else match[0]

        html = _HREF.sub(href, html)
        text = _TEXT_URL.sub(lambda m: target.get(m[0], m[0]), text)
    if opens:
        pixel = absolute_url(
            reverse("newsletter_open", kwargs={"token": OPEN_PLACEHOLDER})
        )
        img = (
            f'<img src="{pixel}" width="1" height="1" alt="" '
            'style="display:block;width:1px;height:1px;border:0">'
        )
        html = (
            html.replace("</body>", img + "</body>", 1)
            if "</body>" in html
            else html + img
        )
    return text, html


# Recording ------------------------------------------------------------------

# Requests that announce they are not a person: a prefetch, a link preview.
_PREFETCH_HEADERS = {
    "HTTP_PURPOSE": "prefetch",
    "HTTP_SEC_PURPOSE": "prefetch",
    "HTTP_X_PURPOSE": "preview",
    "HTTP_X_MOZ": "prefetch",
}
# User agents of link checkers and security gateways that say so. Browsers
# of people never carry these words.
_ROBOT = re.compile(
    r"bot\b|crawl|spider|slurp|preview|scan|proofpoint|mimecast|barracuda|"
    r"safelinks|symantec|trendmicro|fortiguard|python|curl|wget|go-http|"
    r"java/|okhttp|libwww|headless|phantom",
    re.IGNORECASE,
)


def is_machine(method: str, meta) -> bool:
    """A HEAD, a declared prefetch, or a user agent that names a robot.

    `meta`: the request's META, or the WSGI environ (the same HTTP_* keys)."""
    if method != "GET":
        return True
    for header, word in _PREFETCH_HEADERS.items():
        if word in meta.get(header, "").lower():
            return True
    agent = meta.get("HTTP_USER_AGENT", "")
    return not agent or bool(_ROBOT.search(agent))


class _EditionInfo:
    __slots__ = ("links", "public", "clicks", "opens", "archive_url", "loaded")

    def __init__(self, links, public, clicks, opens, archive_url):
        self.links = links  # position -> (TrackedLink pk, url)
        self.public = public  # in the web archive: its links are no secret
        self.clicks = clicks
        self.opens = opens
        self.archive_url = archive_url
        self.loaded = time.monotonic()


# Per process: an edition's links never change once frozen; its list's
# switches are read again after INFO_SECONDS, so switching clicks or opens
# off stops recording within that time everywhere.
INFO_SECONDS = 60
_info: dict[int, _EditionInfo | None] = {}
_info_lock = threading.Lock()
_INFO_MAX = 512


def edition_info(edition_id: int) -> _EditionInfo | None:
    found = _info.get(edition_id)
    if found is not None and time.monotonic() - found.loaded < INFO_SECONDS:
        return found

    edition = (
        Edition.objects.filter(pk=edition_id)
        .exclude(status__in=[Edition.Status.DRAFT, Edition.Status.SCHEDULED])
        .select_related("newsletter")
        .first()
    )
    if edition is None:
        return None
    links = {
        position: (pk, url)
        for pk, position, url in TrackedLink.objects.filter(
            edition_id=edition_id
        ).values_list("pk", "position", "url")
    }
    public = edition.newsletter.is_public
    info = _EditionInfo(
        links=links,
        public=public,
        clicks=edition.newsletter.track_clicks,
        opens=edition.newsletter.track_opens,
        archive_url=edition.get_absolute_url() if public else "",
    )
    with _info_lock:
        if len(_info) >= _INFO_MAX:
            _info.clear()
        _info[edition_id] = info
    return info


def forget_cached_editions() -> None:
    with _info_lock:
        _info.clear()


def _click_sql() -> str:

    q = connection.ops.quote_name
    return (
        f"INSERT INTO {q(Click._meta.db_table)} "
        "(link_id, edition_id, subscriber_id, at) "
        f"SELECT %s, %s, id, %s FROM {q(Subscriber._meta.db_table)} "
        "WHERE id = %s AND email NOT LIKE %s"
    )


def _click_row(link_pk, edition_id, subscriber_id, at) -> list:

    return [
        link_pk,
        edition_id,
        connection.ops.adapt_datetimefield_value(at),
        subscriber_id,
        f"%@{ERASED_DOMAIN}",
    ]


class ClickQueue:
    """Clicks written in batches: CLICK_BATCH clicks, or what came within
    CLICK_BATCH_SECONDS, in one transaction. A commit per click is most of
    a click's cost (and on SQLite, writers queue for its one lock). A
    worker killed without warning loses at most that second of clicks; a
    worker that stops normally writes them first (atexit)."""

    def __init__(self):
        self.rows: list[tuple] = []
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def add(self, link_pk: int, edition_id: int, subscriber_id: int) -> None:
        batch = settings.NEWSLETTER.get("CLICK_BATCH", 50)
        row = (link_pk, edition_id, subscriber_id, timezone.now())
        if batch <= 1:
            self.write([row])
            return
        with self.lock:
            self.rows.append(row)
            full = len(self.rows) >= batch
            if not full and self.timer is None:
                self.timer = threading.Timer(
                    settings.NEWSLETTER.get("CLICK_BATCH_SECONDS", 1.0),
                    self.flush_from_timer,
                )
                self.timer.daemon = True
                self.timer.start()
        if full:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            rows, self.rows = self.rows, []
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
        if rows:
            self.write(rows)

    def flush_from_timer(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.exception("Queued clicks not recorded")
        finally:
            # The timer's thread had its own connection: give it back.
            connection.close()

    @staticmethod
    def write(rows) -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.executemany(_click_sql(), [_click_row(*row) for row in rows])


clicks = ClickQueue()
atexit.register(lambda: clicks.rows and clicks.flush())


def record_click(link_pk: int, edition_id: int, subscriber_id: int) -> None:
    """Queue the click; nothing is written for a reader who was erased
    (or never existed): the INSERT selects them first."""
    clicks.add(link_pk, edition_id, subscriber_id)


def record_open(edition_id: int, subscriber_id: int) -> None:
    """The first open only (one row per reader and edition)."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(Open._meta.db_table)} (edition_id, subscriber_id, at) "
            f"SELECT %s, id, %s FROM {q(Subscriber._meta.db_table)} "
            "WHERE id = %s AND email NOT LIKE %s ON CONFLICT DO NOTHING",
            [
                edition_id,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                subscriber_id,
                f"%@{ERASED_DOMAIN}",
            ],
        )
