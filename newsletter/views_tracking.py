"""The click redirect and the open pixel: no template, at most one write.

Both answer at once whatever the token: a reader is never held up or
shown an error because a link was mangled on the way (tracking.py says
where a forged or damaged click token leads). Nothing here is cacheable.

`TrackingFastPath` answers both (/c/<token> and /o/<token>: no suffix, so
the log filter finds and redacts the token as it does /u/<token>/) in the WSGI wrapper, before Django's
middleware (as the page cache does for pages): a click is a few
microseconds of HMAC and one INSERT, and the middleware stack alone would
cost several times that. The Django views below give the same answers;
they serve whatever reaches Django (the test client, a server run
without the wrapper).
"""

import base64
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.encoding import iri_to_uri

from newsletter import tracking

logger = logging.getLogger(__name__)

# The smallest transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
CLICK_PREFIX = "/c/"
OPEN_PREFIX = "/o/"


def click_target(token: str, method: str, meta) -> str:
    """Where the click goes; records it when it is a person's genuine click."""
    genuine, where = tracking.read_click_token(token)
    info = tracking.edition_info(where[0]) if where else None
    if info is None:
        return "/"
    link = info.links.get(where[1])
    if genuine is not None and link is not None:
        if info.clicks and not tracking.is_machine(method, meta):
            try:
                tracking.record_click(link[0], genuine[0], genuine[2])
            except DatabaseError:
                # The reader goes on; a lost count is not their problem.
                logger.exception("Click on edition %s not recorded", genuine[0])
                connection.close()
        return link[1]
    if link is not None and info.public:
        # A damaged token: the address is in the public archive anyway.
        return link[1]
    return info.archive_url or "/"


def record_open(token: str, method: str, meta) -> None:
    found = tracking.read_open_token(token)
    if found is None or tracking.is_machine(method, meta):
        return
    info = tracking.edition_info(found[0])
    if info is not None and info.opens:
        try:
            tracking.record_open(*found)
        except DatabaseError:
            logger.exception("Open of edition %s not recorded", found[0])
            connection.close()


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


def click(request, token):
    """302 to the link's address; the click counted only for a genuine token
    from a person (tracking.is_machine) on a list that counts clicks."""
    target = click_target(token, request.method, request.META)
    return _private(HttpResponseRedirect(target))


def pixel(request, token):
    """The 1×1 image; its first load by a person counts as an open."""
    record_open(token, request.method, request.META)
    return _private(HttpResponse(PIXEL, content_type="image/gif"))


class TrackingFastPath:
    """WSGI wrapper: /c/<token> and /o/<token> answered before Django."""

    def __init__(self, app):
        self.app = app
        self._headers = None

    def headers(self) -> list[tuple[str, str]]:
        """What Django's security middleware would add to these answers."""
        if self._headers is None:
            headers = [("Cache-Control", "private, no-store")]
            if settings.SECURE_CONTENT_TYPE_NOSNIFF:
                headers.append(("X-Content-Type-Options", "nosniff"))
            if settings.SECURE_REFERRER_POLICY:
                headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
            if settings.X_FRAME_OPTIONS:
                headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS))
            self._headers = headers
        return self._headers

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if method not in ("GET", "HEAD") or path.count("/") != 2:
            return self.app(environ, start_response)
        if path.startswith(CLICK_PREFIX):
            target = click_target(path[len(CLICK_PREFIX) :], method, environ)
            start_response(
                "302 Found",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Location", iri_to_uri(target)),
                    ("Content-Length", "0"),
                    *self.headers(),
                ],
            )
            return [b""]
        if path.startswith(OPEN_PREFIX):
            record_open(path[len(OPEN_PREFIX) :], method, environ)
            start_response(
                "200 OK",
                [
                    ("Content-Type", "image/gif"),
                    ("Content-Length", str(len(PIXEL))),
                    *self.headers(),
                ],
            )
            return [b"" if method == "HEAD" else PIXEL]
        return self.app(environ, start_response)
