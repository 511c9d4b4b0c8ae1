"""Step 1 and 2 (decode, lines): what the importer refuses, how much work it
does, and how it reads encodings and odd whitespace."""

import sys

import pytest

from articles import importer
from articles.importer import MAX_CHARS, BriefParseError, parse_brief


def refused(message: str, case: str, *inputs):
    return [pytest.param(data, message, id=case) for data in inputs]


# What the importer refuses, and the message (a regex) the editor reads.
@pytest.mark.parametrize(
    ("data", "message"),
    [
        *refused(
            "The text is empty",
            "empty text",
            "",
            "   \n\t\r\n",
            b"",
            b"\xef\xbb\xbf",
            "\u200b\ufeff",
        ),
        *refused(
            "not plain text|readable text",
            "binary garbage with a clear message",
            b"\x00\x01\x02\x03" * 200,
            bytes(range(256)) * 8,
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
            b"PK\x03\x04\x14\x00\x06\x00word/document.xml",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        ),
        *refused("no letters", "text without letters", "1234 !!! 5678\n\n-- 99"),
        *refused(
            "200,000 characters",
            "text over the size limit, naming the limit",
            "a" * (MAX_CHARS + 1),
        ),
        *refused(
            "Expected the brief as text",
            "input that is not text",
            None,
            42,
            ["Why it matters: x"],
        ),
        *refused(
            "page furniture",
            "a paste of nothing but page chrome",
            "Home » News\n\nShare\n\nSubscribe to our newsletter",
        ),
    ],
)
def test_it_rejects(data, message):
    with pytest.raises(BriefParseError, match=message):
        parse_brief(data)


def count_calls(function) -> int:
    """Python and C function calls made by `function`: a machine-independent
    measure of work (tests assert complexity, never wall-clock time)."""
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        function()
    except BriefParseError:
        pass  # some shapes are nonsense; only the work matters here
    finally:
        sys.setprofile(None)
    return calls


def test_it_rejects_a_megabyte_of_text_without_reading_it():
    for huge in ("Why it matters: words and more words.\n" * 27_000, b"x" * 1_000_000):
        with pytest.raises(BriefParseError, match="too long"):
            parse_brief(huge)
        assert count_calls(lambda huge=huge: parse_brief(huge)) < 200


@pytest.mark.parametrize(
    ("prefix", "unit"),
    [
        (
            "Headline here about things\n\nA dek.\n\n",
            "Why it matters: " + "word " * 40 + "\n\n  • a bullet with words.\n\n",
        ),
        ("Headline\n\n", "word\n"),  # a hard-wrapped paragraph, a word a line
        ("Headline\n\nDek.\n\nZoom in:\n- b\n\n", "After the bullets.\n\n"),
        ("Headline\n\nZoom in: **", "a"),  # bold that never closes
        ("Headline\n\nZoom in: ", "A. "),  # a sentence end every few characters
        ("Headline\n\n", "- - - - x\n"),
        ("Headline\n\n", "Custom label:\n• x\n"),
        ("Home » ", "» "),
    ],
)
def test_its_work_grows_linearly_with_the_input(prefix, unit):
    def work(size: int) -> int:
        text = (prefix + unit * (size // len(unit)))[:size]
        return count_calls(lambda: parse_brief(text))

    small, large = work(MAX_CHARS // 16), work(MAX_CHARS // 4)
    # Four times the text: linear work is ×4; allow slack, refuse quadratic (×16).
    assert large <= 6 * small, (small, large)


def test_an_internal_error_becomes_a_brief_parse_error(monkeypatch):
    def broken(_blocks):
        raise IndexError("boom")

    monkeypatch.setattr(importer, "classify", broken)
    with pytest.raises(BriefParseError, match="internal error"):
        parse_brief("Headline\n\nDek.")


SMALL = "Rates stay put for now\n\nThe bank’s board met today.\n\nWhy it matters: It’s costly.\n"


@pytest.mark.parametrize(
    "data",
    [
        SMALL.encode("utf-8"),
        SMALL.encode("utf-8-sig"),
        SMALL.encode("utf-16"),  # Word's "Unicode text" export, with a BOM
        SMALL.encode("cp1252"),
        SMALL.replace("\n", "\r\n").encode("utf-8"),
        SMALL.replace("\n", "\r").encode("utf-8"),  # classic Mac line endings
    ],
)
def test_it_decodes_common_text_file_encodings(data):
    brief = parse_brief(data)
    assert brief.headline == "Rates stay put for now"
    assert brief.dek == "The bank’s board met today."
    assert brief.sections[0].text == "It’s costly."


def test_it_falls_back_to_latin_1_for_bytes_that_are_not_utf_8_or_cp1252():
    brief = parse_brief(
        "Café owners cheer\n\nThe rule ends.\n".encode("latin-1") + b"\x81"
    )
    assert brief.headline == "Café owners cheer"


def test_it_normalises_spaces_and_removes_invisible_characters():
    text = (
        "A\u00a0headline  with\tgaps\u200b\n\n"
        "The\u202fdek,\u2007with\u00a0odd\u2009spaces.\x00\ufeff\n\n"
        "Why\u00a0it matters:\u00a0\u00a0Zero\u200c width\u200d gone.\n"
    )
    brief = parse_brief(text)
    assert brief.headline == "A headline with gaps"
    assert brief.dek == "The dek, with odd spaces."
    assert brief.sections[0].label == "Why it matters"
    assert brief.sections[0].text == "Zero width gone."
