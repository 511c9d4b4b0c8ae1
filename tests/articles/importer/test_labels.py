"""Step 5a (labels): which paragraphs are section labels."""

import pytest

from articles.importer import KNOWN_LABELS, parse_brief
from tests.articles.importer.helpers import brief_with, only_section


@pytest.mark.parametrize(
    ("line", "label", "text"),
    [
        # Every known label, as written.
        *[
            (f"{label}: Some lead text.", label, "Some lead text.")
            for label in KNOWN_LABELS
        ],
        # Known labels match loosely and keep their spelling.
        ("WHY IT MATTERS: x.", "WHY IT MATTERS", "x."),
        ("What we’re watching: x.", "What we’re watching", "x."),
        ("What they‘re saying: x.", "What they‘re saying", "x."),
        ("Why  it\tmatters : x.", "Why it matters", "x."),
        ("**Why it matters:** x.", "Why it matters", "x."),
        ("**Why it matters**: x.", "Why it matters", "x."),
        ("Yes but: x.", "Yes but", "x."),
        # A known label followed by a quotation needs no colon.
        (
            "What they’re saying “We will,” the mayor said.",
            "What they’re saying",
            "“We will,” the mayor said.",
        ),
        # "Go deeper" alone is page chrome; with a colon it is a real section.
        (
            "Go deeper: The full report on the budget.",
            "Go deeper",
            "The full report on the budget.",
        ),
    ],
)
def test_it_recognises_known_labels_loosely_and_keeps_their_spelling(line, label, text):
    section = only_section(line + "\n")
    assert section.label == label
    assert section.text == text


@pytest.mark.parametrize(
    ("known", "new"),
    [
        ("Why it matters: Because.", "Of note: A detail."),
        ("**Why it matters:** Because.", "**Of note:** A detail."),
        ("**Why it matters**: Because.", "**Of note**: A detail."),
        ("**Why it matters** Because.", "**Of note** A detail."),
        ("Why it matters — Because.", "Of note — A detail."),
        ("Why it matters - Because.", "Of note - A detail."),
        ("Why it matters: Because.", "Of note — A detail."),
        ("WHY IT MATTERS: Because.", "OF NOTE: A detail."),
        ("## Why it matters\n\nBecause.", "## Of note\n\nA detail."),
        ("Why it matters\nBecause.", "Of note\nA detail."),
    ],
)
def test_a_label_outside_the_list_is_read_by_its_shape_and_style(known, new):
    brief = brief_with(f"{known}\n\n{new}\n")
    assert [(s.label.casefold(), s.text) for s in brief.sections] == [
        ("why it matters", "Because."),
        ("of note", "A detail."),
    ]
    assert brief.warnings == []


@pytest.mark.parametrize(
    "new",
    [
        "**Of note:** A detail.",  # bold among plain labels
        "Of note - A detail.",  # a hyphen among colon labels
    ],
)
def test_a_label_shaped_paragraph_in_another_style_stays_text_with_a_warning(new):
    brief = brief_with(f"Why it matters: Because.\n\n{new}\n")
    assert [s.label for s in brief.sections] == ["Why it matters"]
    assert brief.sections[0].text == f"Because.\n\n{new}"
    assert any("starts like a label ('Of note')" in w for w in brief.warnings)


@pytest.mark.parametrize(
    "prose",
    [
        "The mayor said: The budget is final.",
        "Here is the plan: we build it.",
        "Prices rose — More than expected.",
        "Officials were clear about it: no delay.",
    ],
)
def test_a_sentence_with_a_colon_or_dash_is_not_a_label(prose):
    brief = brief_with(f"Why it matters: Because.\n\n{prose}\n")
    assert [s.label for s in brief.sections] == ["Why it matters"]
    assert brief.sections[0].text == f"Because.\n\n{prose}"


def test_with_no_known_label_a_style_repeated_twice_makes_labels():
    brief = brief_with("Details: One thing.\n\nOf note: Another.\n")
    assert [s.label for s in brief.sections] == ["Details", "Of note"]
    alone = brief_with("Note: One thing only.\n")
    assert alone.sections == []


def test_a_new_label_needs_the_headline_and_dek_above_it():
    brief = parse_brief("Ports reopen\n\nBreaking: Ships move again.\n\nMore soon.\n")
    assert brief.dek == "Breaking: Ships move again."
    assert brief.sections == []


def test_it_keeps_a_label_inside_a_bullet():
    section = only_section(
        "Zoom in:\n\n• Between the lines: a bullet, not a section.\n"
        "- Why it matters: also a bullet.\n"
    )
    assert section.label == "Zoom in"
    assert section.bullets == [
        "Between the lines: a bullet, not a section.",
        "Why it matters: also a bullet.",
    ]


def test_a_short_line_ending_with_a_colon_before_bullets_is_a_custom_label():
    section = only_section("Rome is responding to:\n\n  • Pressure.\n  • Chances.\n")
    assert section.label == "Rome is responding to"
    assert section.text is None
    assert section.bullets == ["Pressure.", "Chances."]


def test_a_long_sentence_containing_a_colon_is_a_paragraph_not_a_label():
    brief = brief_with(
        "The mayor put it simply at the meeting on Tuesday: we cannot pay for all "
        "of it.\n\n- A bullet.\n"
    )
    assert brief.sections == []
    assert brief.intro[0].startswith("The mayor put it simply")


def test_a_short_line_ending_with_a_colon_but_no_bullets_is_a_paragraph():
    brief = brief_with("Here is the plan:\n\nWe build it.\n")
    assert brief.sections == []
    assert brief.intro == ["Here is the plan:", "We build it."]


def test_a_label_on_its_own_line_takes_the_next_paragraph_as_its_lead():
    brief = brief_with(
        "Why it matters:\nIt is the largest order this year.\n\n"
        "Zoom in:\n\nA record order. The airline bought 40 jets.\n\n- Deliveries start soon.\n"
    )
    first, second = brief.sections
    assert (first.label, first.heading, first.text) == (
        "Why it matters",
        None,
        "It is the largest order this year.",
    )
    assert (second.heading, second.text) == (
        "A record order.",
        "The airline bought 40 jets.",
    )
    assert second.bullets == ["Deliveries start soon."]


def test_a_known_label_without_a_colon_on_its_own_line_is_a_label():
    section = only_section("The bottom line\nPrices will rise.\n")
    assert (section.label, section.text) == ("The bottom line", "Prices will rise.")


def test_a_section_with_text_and_no_bullets_and_one_with_only_bullets():
    brief = brief_with("Why it matters: Text only.\n\nBy the numbers:\n- 1 bullet.\n")
    assert brief.sections[0].text == "Text only."
    assert brief.sections[0].bullets == []
    assert brief.sections[1].text is None
    assert brief.sections[1].bullets == ["1 bullet."]


def test_it_warns_about_empty_and_repeated_sections():
    brief = brief_with("Why it matters:\n\nZoom in: x.\n\nZoom in: y.\n")
    assert any("'Why it matters' is empty" in w for w in brief.warnings)
    assert any("'Zoom in' appears more than once" in w for w in brief.warnings)
