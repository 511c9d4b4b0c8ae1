"""The click redirect and the open pixel: no template, at most one write.

Both answer at once whatever the token: a reader is never held up or
shown an error because a link was mangled on the way (tracking.py says
where a forged or damaged click token leads). Nothing here is cacheable,
so the page cache passes every request through.
"""

import base64
import logging

from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseRedirect

from newsletter import tracking

logger = logging.getLogger(__name__)

# The smallest transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


def click(request, token):
    """302 to the link's address; the click counted only for a genuine token
    from a person (tracking.is_machine) on a list that counts clicks."""
    genuine, where = tracking.read_click_token(token)
    target = ""
    info = tracking.edition_info(where[0]) if where else None
    if info is not None:
        link = info.links.get(where[1])
        if genuine is not None and link is not None:
            target = link[1]
            if info.clicks and not tracking.is_machine(request):
                try:
                    tracking.record_click(link[0], genuine[0], genuine[2])
                except DatabaseError:
                    # The reader goes on; a lost count is not their problem.
                    logger.exception("Click on edition %s not recorded", genuine[0])
        elif link is not None and info.public:
            # A damaged token: the address is in the public archive anyway.
            target = link[1]
        else:
            target = info.archive_url
    return _private(HttpResponseRedirect(target or "/"))


def pixel(request, token):
    """The 1×1 image; its first load by a person counts as an open."""
    found = tracking.read_open_token(token)
    if found is not None and not tracking.is_machine(request):
        info = tracking.edition_info(found[0])
        if info is not None and info.opens:
            try:
                tracking.record_open(*found)
            except DatabaseError:
                logger.exception("Open of edition %s not recorded", found[0])
    return _private(HttpResponse(PIXEL, content_type="image/gif"))
