"""Hostile input for the newsletter's tests (the test_hostile_*.py modules):
the values they type, the checks several of them make, and a count of what
they tried for the run's summary (tests/newsletter/conftest.py prints it)."""

import email
import email.policy
import re

from django.conf import settings as django_settings
from django.test import override_settings

TRIED = {"count": 0}  # hostile inputs sent, for the report


def tried(n=1):
    TRIED["count"] += n


def payload(marker: str, length: int = 100) -> str:
    """Markup a person might type into a plain field, cut to its length with
    the dangerous part first."""
    return f"<script>alert('{marker}')</script><b>{marker}</b> & \"q\" <!--"[:length]


def raw_script(marker: str) -> str:
    return f"<script>alert('{marker}')"


INJECTIONS = [
    "Daily\r\nBcc: victim@example.com",
    "Daily\nBcc: victim@example.com",
    "Daily\rBcc: victim@example.com",
    "Daily\r\n\r\n<html>body</html>",
    "Daily\x00Bcc: victim@example.com",
    "Daily\u2028Bcc: victim@example.com",
    "Daily\u0085Bcc: victim@example.com",
]

INVISIBLE = [
    "\x00",  # NUL
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\x07",  # bell
    "\x1b",  # escape
]


# The signup limits (tested in test_abuse.py) would answer 429 long before
# this many posts of one address from one client reach the form.
NO_LIMITS = override_settings(
    NEWSLETTER={
        **django_settings.NEWSLETTER,
        "SIGNUPS_PER_IP_PER_HOUR": 0,
        "SIGNUPS_PER_ADDRESS_PER_HOUR": 0,
    }
)


def one_line(value: str) -> str:
    """What a header may carry of `value`: controls and line breaks are spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", value).split())


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [
        line.split(":", 1)[0].lower()
        for line in head.split("\r\n")
        if line and not line[0].isspace()
    ]


OFF_SITE = [
    "//evil.example/",
    "///evil.example/",
    "////evil.example/",
    "https://evil.example/",
    "http://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "/\\evil.example/",
    "\\\\evil.example",
    "\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://testserver@evil.example/",
    "https://evil.example\\@testserver/",
    "//testserver.evil.example/",
    "https://testserver.evil.example/",
    "http://[::1]:80@evil.example/",
    "\x00//evil.example",
    "/\x00/evil.example",
    "\u3002evil.example",
    "//evil\u3002example",
    "https://evil.example%23@testserver/",
]
