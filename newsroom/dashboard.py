"""The admin home as a newsroom desk: what is waiting, what goes out next.

Each app contributes panels through a function named in the
ADMIN_DASHBOARD_PANELS setting, so the admin site needs to know nothing of
the apps' models. A panel function takes the request and returns the panels
this user may see (none without the view permission).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

ROWS = 5  # rows a panel lists; its heading links to all of them


@dataclass
class Row:
    text: str
    url: str = ""
    meta: str = ""
    # A short word the eye can scan for: "Blocked", "Sending", "Correction".
    badge: str = ""


@dataclass
class Panel:
    title: str
    url: str  # the filtered list behind the panel
    count: int
    rows: list[Row] = field(default_factory=list)
    empty: str = "Nothing here."
    # A figure shown instead of rows, e.g. signups this week.
    figure: str = ""
    note: str = ""


def panels(request) -> list[Panel]:
    found = []
    for path in settings.ADMIN_DASHBOARD_PANELS:
        found.extend(import_string(path)(request))
    return found
