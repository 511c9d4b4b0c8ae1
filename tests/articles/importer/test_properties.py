"""Property tests: any input gives a brief or a BriefParseError, and a
rendered brief parses back to the same structure."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles import importer
from articles.importer import KNOWN_LABELS, BriefParseError, ParsedBrief, parse_brief

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


LABEL_LINES = st.sampled_from(
    [f"{label}:" for label in KNOWN_LABELS]
    + [f"{label}: Some text here." for label in KNOWN_LABELS]
    + ["What we’re watching:", "**Zoom in:** **Bold.** Rest.", "Custom label:", ""]
)
BULLET_LINES = st.builds(
    "{}{} {}".format,
    st.sampled_from(["", "  ", "\t"]),
    st.sampled_from(["•", "-", "*", "1.", "2)", "◦", "—", "+"]),
    st.sampled_from(["A bullet.", "Between the lines: inside.", "", "x"]),
)
CHROME_LINES = st.sampled_from(
    [
        "Home » Some headline",
        "World",
        "Subscribe to our newsletter",
        "Share",
        "Advertisement",
        "Go deeper",
        "Read more",
        "---",
        "By Jane Doe",
    ]
)
PROSE_LINES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60
)
MIXED = st.lists(
    st.one_of(LABEL_LINES, BULLET_LINES, CHROME_LINES, PROSE_LINES), max_size=40
).map("\n".join)


def parse_or_reject(data):
    """Call the parser without parse_brief's last-resort guard."""
    try:
        return importer._parse(data)
    except BriefParseError as error:
        assert str(error)
        return None


@FUZZ
@given(st.text(max_size=2000))
def test_any_text_gives_a_brief_or_a_brief_parse_error(text):
    result = parse_or_reject(text)
    assert result is None or isinstance(result, ParsedBrief)
    if result is not None:
        json.dumps(result.to_dict())


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_brief_or_a_brief_parse_error(data):
    result = parse_or_reject(data)
    assert result is None or isinstance(result, ParsedBrief)


@FUZZ
@given(MIXED)
def test_mixes_of_labels_bullets_and_chrome_parse_without_surprises(text):
    result = parse_or_reject(text)
    if result is not None:
        for section in result.sections:
            assert section.label and section.label == section.label.strip()
            assert all(
                bullet.strip() == bullet and bullet for bullet in section.bullets
            )


@FUZZ
@given(st.one_of(MIXED, st.text(max_size=500)))
def test_parsing_is_deterministic(text):
    def outcome():
        try:
            brief = parse_brief(text)
        except BriefParseError as error:
            return str(error)
        return brief.to_dict(), brief.warnings

    assert outcome() == outcome()


WORDS = st.sampled_from(
    "river budget council tram vote green harbour mayor plan rate bank port "
    "solar grid ferry bridge school park".split()
)


def sentence(min_words=2, max_words=8):
    return st.lists(WORDS, min_size=min_words, max_size=max_words).map(
        lambda words: " ".join(words).capitalize() + "."
    )


@st.composite
def structured_briefs(draw):
    """A brief as data plus a rendering of it, in varied plain-text styles."""
    sections = []
    for label in draw(st.lists(st.sampled_from(KNOWN_LABELS), min_size=1, max_size=5)):
        text = draw(st.one_of(st.none(), sentence(9, 14)))
        bullets = draw(st.lists(sentence(), max_size=4))
        sections.append(
            {
                "label": label,
                "heading": None,
                "text": text,
                "bullets": bullets,
                "numbered": False,
            }
        )
    brief = {
        "category": None,
        "headline": draw(sentence(4, 8)).rstrip("."),
        "dek": draw(sentence(6, 12)),
        "intro": draw(st.lists(sentence(6, 12), max_size=2)),
        "sections": sections,
    }
    gap = draw(st.sampled_from(["\n", "\n\n"]))
    marker = draw(st.sampled_from(["• ", "  • ", "- ", "* ", "\t· ", "1. "]))
    for section in sections:
        # "1." on every item is markdown's way of numbering a list.
        section["numbered"] = marker == "1. " and bool(section["bullets"])
    lines = [brief["headline"], "", brief["dek"], ""]
    for paragraph in brief["intro"]:
        lines += [paragraph, ""]
    for section in sections:
        lead = f" {section['text']}" if section["text"] else ""
        lines.append(f"{section['label']}:{lead}")
        lines += [f"{marker}{bullet}{gap}" for bullet in section["bullets"]]
        lines.append("")
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    return brief, eol.join(lines)


@FUZZ
@given(structured_briefs())
def test_a_rendered_brief_parses_back_to_the_same_structure(case):
    expected, text = case
    brief = parse_brief(text)
    assert brief.to_dict() == expected
