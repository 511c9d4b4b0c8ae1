"""The physical limit: a WSGI app returning one page's response from memory.

The same body and the same headers (security headers, CSP, caching) that the
real page sends, so the comparison is between equal responses.
"""

import json
import os
from pathlib import Path

# A redirect's limit answers its status too (bench sending's click redirect).
STATUS = os.environ.get("BENCH_STATUS", "200 OK")
BODY_FILE = Path(os.environ["BENCH_BODY_FILE"])
BODY = BODY_FILE.read_bytes()
HEADERS_FILE = BODY_FILE.with_suffix(".headers.json")
HEADERS = [
    (name, value)
    for name, value in (
        json.loads(HEADERS_FILE.read_text())
        if HEADERS_FILE.exists()
        else [("Content-Type", "text/html; charset=utf-8")]
    )
] + [("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response(STATUS, HEADERS)
    return [BODY]
