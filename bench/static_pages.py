"""The limit for a mix of pages: each page's response from memory, by path.

BENCH_PAGES_FILE is a pickle of {path: (headers, plain body, gzip body)}
taken from the real site; a request gets the gzip body when it accepts gzip,
as the site's page cache answers. Unknown paths get the first page.
"""

import os
import pickle
from pathlib import Path

PAGES = pickle.loads(Path(os.environ["BENCH_PAGES_FILE"]).read_bytes())
FIRST = next(iter(PAGES.values()))


def application(environ, start_response):
    headers, plain, packed = PAGES.get(environ.get("PATH_INFO"), FIRST)
    if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
        body = packed
        headers = [*headers, ("Content-Encoding", "gzip")]
    else:
        body = plain
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]
