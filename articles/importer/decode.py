"""Step 1: bytes or text in, text out; binary files, empty or huge input refused."""

from __future__ import annotations

import codecs
import re

from articles.importer.parsed import BriefParseError

# A brief is a few hundred words; 200 000 characters is a whole web page with
# room to spare. The cap keeps a mistaken paste (a log file, a book) cheap.
MAX_CHARS = 200_000
# Invisible characters: C0/C1 controls (except tab and newline), zero-width
# and bidi marks, soft hyphens, BOMs and lone surrogates (which could not be
# stored or encoded later).
INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)


# File signatures of things editors upload by mistake instead of a .txt file.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF file"),
    (b"PK\x03\x04", "a Word .docx (or another zipped) file"),
    (b"\xd0\xcf\x11\xe0", "an old Word .doc file"),
    (b"{\\rtf", "a Rich Text (.rtf) file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)

# Control characters that never belong in prose (tab and newlines excluded),
# plus the replacement character and the unassigned specials next to it, which
# is what undecodable bytes turn into.
_GARBAGE_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ufff0-\ufff8]")


def empty_error() -> BriefParseError:
    return BriefParseError(
        "The text is empty. Paste a brief: a headline, a one-sentence summary and "
        "labelled sections such as 'Why it matters:'."
    )


def decode(data: object) -> str:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        # UTF-8 uses at most 4 bytes a character: anything longer is too long.
        if len(raw) > MAX_CHARS * 4:
            raise _too_long_error()
        text = _decode_bytes(raw)
    elif isinstance(data, str):
        text = data
    else:
        raise BriefParseError(
            f"Expected the brief as text, got {type(data).__name__}. Paste the text "
            "or upload a .txt file."
        )
    if len(text) > MAX_CHARS:
        raise _too_long_error()
    if not INVISIBLE_RE.sub("", text).strip():
        raise empty_error()
    _reject_garbage(text)
    return text


def _too_long_error() -> BriefParseError:
    return BriefParseError(
        f"The text is too long to be a brief: the limit is {MAX_CHARS:,} characters. "
        "Paste just the one brief."
    )


def _decode_bytes(raw: bytes) -> str:
    for signature, what in _BINARY_SIGNATURES:
        if raw.startswith(signature):
            raise BriefParseError(
                f"This looks like {what}, not plain text. Copy the brief's text and "
                "paste it, or save it as plain text (.txt) and upload that."
            )
    # Word's "Unicode text" export is UTF-16 with a byte-order mark.
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                raise _binary_error() from None
    if raw.count(0) > max(2, len(raw) // 100):
        raise _binary_error()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: most likely a Windows text file. cp1252 leaves five bytes
    # undefined; Latin-1 decodes everything, so it is the final fallback.
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _binary_error() -> BriefParseError:
    return BriefParseError(
        "This file does not contain readable text (it looks like a binary file). "
        "Copy the brief's text and paste it, or save it as plain text (.txt)."
    )


def _reject_garbage(text: str) -> None:
    if not any(ch.isalpha() for ch in text):
        raise BriefParseError(
            "The text contains no words (no letters at all), so it cannot be a "
            "brief. Check that you pasted the right thing."
        )
    # Real prose has no control characters; a few may slip in from a PDF copy,
    # but more than 5% means we are looking at a binary file or a bad decode.
    garbage = len(_GARBAGE_RE.findall(text))
    if garbage > 2 and garbage * 20 > len(text):
        raise _binary_error()
