"""A logging filter that keeps secrets out of log files.

Request lines and "Not Found: /path" warnings carry the signed tokens of
confirmation, preference, unsubscribe and preview links; form dumps and
tracebacks can carry passwords. Logs are copied to places (terminals, log
services, bug reports) that must never hold a working link or a password.

`RedactSecrets` is attached to the root handlers in settings.LOGGING and
rewrites each record's message (and traceback text) before any handler sees
it:

- in a URL path, every value a sensitive URL parameter captures (a route
  converter named like token, key, sig, secret…: `/u/<str:token>/`) is
  found by resolving the path against the URLconf, so new token routes are
  covered as long as their parameter says what it is;
- in a query string, values of sensitive parameter names (token, key,
  signature, password, code…);
- anywhere, things shaped like Django signed values (`value:ts:signature`),
  the site's compact link tokens (`id.list.MAC`), password-reset tokens
  (`ts-hexdigest`) and long random strings (40+ hex
  digits, 32+ mixed-case base64 characters);
- `password=…`, `'password': '…'`, `"password": "…"` and the like.

What stays: the rest of the path, the status, the size, the address, so the
log is still useful. Redacted text becomes "[redacted]".
"""

import logging
import re
from urllib.parse import quote, unquote

REDACTED = "[redacted]"

# Names of things that are secrets: parameters, form fields, dict keys.
_SENSITIVE = (
    r"(?:[\w-]*(?:token|secret|passw(?:or)?d|pwd|signature|api[_-]?key|sessionid)"
    r"[\w-]*|key|sig|pass|auth|authorization)"
)
SENSITIVE_NAME = re.compile(rf"^{_SENSITIVE}$", re.IGNORECASE)

# A path, optionally followed by a query string, as it appears in log lines.
_URL = re.compile(r"(?<![\w.:/])(/[^\s\"'<>?#]*)(\?[^\s\"'<>#]*)?")
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s\"']*)")
# key=value / 'key': 'value' / "key": "value" for sensitive keys.
_KEY_VALUE = re.compile(
    rf"""(?P<key>["']?{_SENSITIVE}["']?\s*(?:=|:)\s*)(?!\[redacted\])(?P<open>\[\s*)?"""
    r"""(?:(?P<q>["'])(?P<quoted>.*?)(?P=q)|(?P<bare>[^\s,&;}\]"')]+))""",
    re.IGNORECASE,
)
# Django signing: value:timestamp:signature or value:signature, also %3A-encoded;
# the signature is 27+ base64url characters (SHA-1) or 43 (SHA-256).
_SIGNED = re.compile(
    r"[\w.+=-]*(?:(?::|%3A)[\w.+=-]+)*(?::|%3A)[A-Za-z0-9_-]{27,}", re.IGNORECASE
)
# The site's compact link tokens: base36 ids, dots, a base64url MAC.
_DOTTED_MAC = re.compile(
    r"(?<![\w.-])[0-9a-z]{1,13}(?:\.[0-9a-z]{1,13}){0,2}\.(?=[\w-]*[A-Z])[\w-]{16,}(?![\w.-])"
)
# Django's password-reset style: base36 timestamp, dash, hex digest.
_RESET = re.compile(r"(?<![\w-])[0-9a-z]{1,13}-[0-9a-f]{20,}(?![\w-])")
_LONG_HEX = re.compile(r"(?<![\w-])[0-9a-fA-F]{40,}(?![\w-])")
_OPAQUE = re.compile(
    r"(?<![\w.-])(?=[\w.-]*[A-Z])(?=[\w.-]*[a-z])(?=[\w.-]*\d)[\w.-]{32,}(?![\w.-])"
)


def redact(text: str) -> str:
    """`text` with tokens and passwords replaced by [redacted]."""
    if not text:
        return text
    text = _URL.sub(_redact_url, text)
    text = _KEY_VALUE.sub(_redact_key_value, text)
    text = _SIGNED.sub(REDACTED, text)
    text = _DOTTED_MAC.sub(REDACTED, text)
    text = _RESET.sub(REDACTED, text)
    text = _LONG_HEX.sub(REDACTED, text)
    return _OPAQUE.sub(REDACTED, text)


def _redact_url(match: re.Match) -> str:
    path, query = match.group(1), match.group(2) or ""
    for value in _sensitive_route_values(path):
        path = re.sub(rf"(?<=/){re.escape(value)}(?=/|$)", REDACTED, path)
    if query:
        query = _QUERY_PAIR.sub(_redact_query_pair, query)
    return path + query


def _redact_query_pair(match: re.Match) -> str:
    separator, name, value = match.groups()
    if SENSITIVE_NAME.match(unquote(name)) and value and value != REDACTED:
        value = REDACTED
    return f"{separator}{name}={value}"


def _redact_key_value(match: re.Match) -> str:
    # QueryDict reprs hold lists: 'password': ['…'].
    key = match.group("key") + (match.group("open") or "")
    if match.group("quoted") is not None:
        quote = match.group("q")
        return f"{key}{quote}{REDACTED}{quote}"
    return f"{key}{REDACTED}"


def _sensitive_route_values(path: str) -> set[str]:
    """Values of sensitive URL parameters in `path`, as they may appear in it."""
    try:
        from django.urls import Resolver404, resolve

        try:
            resolved = resolve(unquote(path))
        except Resolver404:
            return set()
    except Exception:  # no settings, URLconf not loadable: nothing to add
        return set()
    values = set()
    for name, value in resolved.kwargs.items():
        if SENSITIVE_NAME.match(name) and value:
            values.update({str(value), quote(str(value), safe="")})
    return values


class RedactSecrets(logging.Filter):
    """Rewrite each record's message and traceback text with `redact()`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken record is the formatter's to report
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
