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

Cost. Anyone can put text in a log line (a 4 KB path becomes a "Not Found"
warning), so redaction is linear in the length of the text, whatever its
shape: three passes (URLs, `name=value` pairs, token shapes), each a forward
scan that never goes back. The regular expressions are runs of one character
class, possessive (`[…]++` cannot give characters back) and, where they are
searched for, anchored by a one-character look-behind so that they start
only where a run starts; fixed words and alternations of them; and, on a
path of at most MAX_ROUTE_PATH characters, a route value between slashes.
Anything subtler is done in Python on one token at a time. (The patterns
this replaces restarted at every character and rescanned the rest, so the
work grew with the square of the path's length.) A text longer than MAX_CHARS is cut
in the middle first, at token boundaries; its start and its end are what a
reader needs. `redaction_steps()` counts the work, and
tests/newsroom/test_logging.py holds it to a few steps per character on
64 KB lines of hostile shapes.
"""

import logging
import re
from urllib.parse import quote, unquote

REDACTED = "[redacted]"
# Longer texts keep their first and last MAX_CHARS // 2 characters.
MAX_CHARS = 64 * 1024
# Only paths up to this length are resolved against the URLconf to find the
# values of token routes: real token links are far shorter, and resolving is
# the one step whose cost depends on the project's URL patterns, so it is
# also done for the first MAX_ROUTE_LOOKUPS paths of a text only (a traceback
# names a file path per frame; a request line has one path).
MAX_ROUTE_PATH = 1024
MAX_ROUTE_LOOKUPS = 16

# Names of things that are secrets: parameters, form fields, dict keys. A name
# containing one of these words is a secret's name…
_SECRET_WORDS = r"token|secret|passw(?:or)?d|pwd|signature|api[_-]?key|sessionid"
# …and so is one ending with one of these (a name equal to one, for URL
# route parameters).
_SECRET_ENDINGS = ("key", "sig", "pass", "auth", "authorization")
_CONTAINS_SECRET_WORD = re.compile(_SECRET_WORDS, re.IGNORECASE)
# Where a name=value pair may start: any of the words, leftmost first (the
# look-ahead lets the engine skip, in one step, characters no word starts with).
_NAME_HINT = re.compile(
    rf"(?=[tspak])(?:{_SECRET_WORDS}|key|sig|pass|auth)", re.IGNORECASE
)

# A path, optionally followed by a query string, as it appears in log lines.
_URL = re.compile(r"(?<![\w.:/])/[^\s\"'<>?#]*+(?:\?[^\s\"'<>#]*+)?+")
_QUERY_SEPARATOR = re.compile(r"([&;])")

# Runs of one character class: each call consumes what it matches, no more.
_NAME_CHARS = re.compile(r"[\w-]*+")
_SPACES = re.compile(r"\s*+")
_BARE_VALUE = re.compile(r"[^\s,&;}\]\"')]*+")
_QUOTED_VALUE = {q: re.compile(rf"[^{q}\n]*+") for q in "'\""}

# Token-shaped things are looked for in runs of the characters they are made
# of (letters, digits, _ - . + = % :), starting only where such a run starts;
# nothing shorter than 16 characters can be one of them.
_TOKEN_RUN = re.compile(r"(?<![\w.+=%:-])[\w.+=%:-]{16,}+")
# Django signing separates value, timestamp and signature with ":" (%3A in a
# URL); the signature is 27+ base64url characters (SHA-1) or 43 (SHA-256).
_SIGNING_SEPARATOR = re.compile(r":|%3A", re.IGNORECASE)
_SIGNATURE_START = re.compile(r"[A-Za-z0-9_-]{27}")
_NOT_DOTTED = re.compile(r"([+=%:])")
_BASE36 = re.compile(r"[0-9a-z]++")
_HEX = re.compile(r"[0-9a-fA-F]++")
_LOWER_HEX = re.compile(r"[0-9a-f]++")
_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")
_DIGIT = re.compile(r"\d")


def redact(text: str) -> str:
    """`text` with tokens and passwords replaced by [redacted]."""
    if not text:
        return text
    return _Redaction(text).result


def redaction_steps(text: str) -> int:
    """The work `redact(text)` does, counted: characters its scans pass over
    plus characters handed to per-token checks, each of which is linear in
    what it is charged for. (A URL lookup is charged its path's length; the
    MAX_ROUTE_* bounds keep their cost per text bounded.)"""
    return _Redaction(text).steps if text else 0


def is_sensitive_name(name: str) -> bool:
    """Whether a URL parameter or form field called `name` holds a secret."""
    if not name or _NAME_CHARS.fullmatch(name) is None:
        return False
    lowered = name.lower()
    return lowered in _SECRET_ENDINGS or bool(_CONTAINS_SECRET_WORD.search(lowered))


def _is_secret_key(name: str) -> bool:
    """Looser, for names met in free text (`xpassword=`, `api.key=`): a
    secret word anywhere, or a secret ending."""
    lowered = name.lower()
    return lowered.endswith(_SECRET_ENDINGS) or bool(
        _CONTAINS_SECRET_WORD.search(lowered)
    )


class _Redaction:
    def __init__(self, text: str):
        self.steps = self.route_lookups = 0
        if len(text) > MAX_CHARS:
            text = self.shorten(text)
        text = self.urls(text)
        text = self.name_value_pairs(text)
        self.result = self.shapes(text)

    def run(self, pattern: re.Pattern, text: str, pos: int) -> int:
        """End of the run of `pattern` (a possessive class) at `pos`."""
        end = pattern.match(text, pos).end()
        self.steps += end - pos + 1
        return end

    def shorten(self, text: str) -> str:
        keep = MAX_CHARS // 2
        head, tail = text[:keep], text[-keep:]
        # Cut where a token ends: half a secret is still part of a secret.
        window = 1024
        trailing = _TOKEN_CHARS.match(head[-window:][::-1]).end()
        head = head[: len(head) - (trailing if trailing < window else window)]
        leading = _TOKEN_CHARS.match(tail, 0, window).end()
        tail = tail[leading if leading < window else window :]
        self.steps += 2 * window
        cut = len(text) - len(head) - len(tail)
        return f"{head} [... {cut} characters cut ...] {tail}"

    def urls(self, text: str) -> str:
        pieces, done = [], 0
        for match in _URL.finditer(text):
            pieces += [text[done : match.start()], self.url(match.group())]
            done = match.end()
        self.steps += len(text) + 1
        return "".join(pieces) + text[done:] if pieces else text

    def url(self, url: str) -> str:
        path, question, query = url.partition("?")
        if len(path) <= MAX_ROUTE_PATH and self.route_lookups < MAX_ROUTE_LOOKUPS:
            self.route_lookups += 1
            self.steps += len(path)
            for value in _sensitive_route_values(path):
                path = re.sub(rf"(?<=/){re.escape(value)}(?=/|$)", REDACTED, path)
        if not query:
            return path + question
        parts = _QUERY_SEPARATOR.split(query)
        self.steps += len(query) + len(parts)
        for i in range(0, len(parts), 2):
            name, equals, value = parts[i].partition("=")
            if equals and value and value != REDACTED and _is_secret_key(unquote(name)):
                parts[i] = f"{name}={REDACTED}"
        return f"{path}?{''.join(parts)}"

    def name_value_pairs(self, text: str) -> str:
        """`name = value`, `'name': 'value'`, `name: ['value']` for secret
        names: the value becomes [redacted]."""
        pieces, done, pos, n = [], 0, 0, len(text)
        while (hint := _NAME_HINT.search(text, pos)) is not None:
            self.steps += hint.end() - pos + 1
            name_end = self.run(_NAME_CHARS, text, hint.start())
            pos = name_end
            if not _is_secret_key(text[hint.start() : name_end]):
                continue
            self.steps += name_end - hint.start()
            at = name_end
            if at < n and text[at] in "'\"":
                at += 1
            at = self.run(_SPACES, text, at)
            if at >= n or text[at] not in "=:":
                continue
            at = self.run(_SPACES, text, at + 1)
            if text.startswith(REDACTED, at):  # done already (a query string)
                pos = at + len(REDACTED)
                continue
            if at < n and text[at] == "[":  # QueryDict reprs hold lists
                at = self.run(_SPACES, text, at + 1)
            if at < n and text[at] in "'\"":
                start = at + 1
                end = self.run(_QUOTED_VALUE[text[at]], text, start)
                # An unclosed quote: the rest of the line is the value.
                pos = end + 1 if end < n and text[end] == text[at] else end
            else:
                start = at
                end = pos = self.run(_BARE_VALUE, text, start)
            if end > start:
                pieces += [text[done:start], REDACTED]
                done = end
        self.steps += n - pos + 1
        return "".join(pieces) + text[done:] if pieces else text

    def shapes(self, text: str) -> str:
        pieces, done = [], 0
        for match in _TOKEN_RUN.finditer(text):
            run = match.group()
            self.steps += 4 * len(run)  # the checks below, a few passes each
            cleaned = _redact_token_run(run)
            if cleaned != run:
                pieces += [text[done : match.start()], cleaned]
                done = match.end()
        self.steps += len(text) + 1
        return "".join(pieces) + text[done:] if pieces else text


_TOKEN_CHARS = re.compile(r"[\w.+=%:-]*+")


def _redact_token_run(run: str) -> str:
    """A maximal run of [\\w.+=%:-] with the token-shaped parts redacted."""
    pieces = _SIGNING_SEPARATOR.split(run)
    if any(_SIGNATURE_START.match(piece) for piece in pieces[1:]):
        return REDACTED
    # Then the runs of [\w.-] in it, and the runs of [\w-] in those.
    parts = _NOT_DOTTED.split(run)
    for i in range(0, len(parts), 2):
        word = parts[i]
        if _is_dotted_mac(word) or _is_opaque(word):
            parts[i] = REDACTED
        elif len(word) >= 22:
            parts[i] = ".".join(
                REDACTED if _is_reset_token(p) or _is_long_hex(p) else p
                for p in word.split(".")
            )
    return "".join(parts)


def _is_dotted_mac(word: str) -> bool:
    # The site's compact link tokens: base36 ids, dots, a base64url MAC.
    if not 2 <= word.count(".") + 1 <= 4:
        return False
    *ids, mac = word.split(".")
    return (
        all(len(i) <= 13 and _BASE36.fullmatch(i) for i in ids)
        and len(mac) >= 16
        and _UPPER.search(mac) is not None
    )


def _is_opaque(word: str) -> bool:
    return (
        len(word) >= 32
        and _UPPER.search(word) is not None
        and _LOWER.search(word) is not None
        and _DIGIT.search(word) is not None
    )


def _is_reset_token(word: str) -> bool:
    # Django's password-reset style: base36 timestamp, dash, hex digest.
    timestamp, dash, digest = word.partition("-")
    return bool(
        dash
        and len(timestamp) <= 13
        and _BASE36.fullmatch(timestamp)
        and len(digest) >= 20
        and _LOWER_HEX.fullmatch(digest)
    )


def _is_long_hex(word: str) -> bool:
    return len(word) >= 40 and _HEX.fullmatch(word) is not None


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
        if is_sensitive_name(name) and value:
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
