"""Step 3 and 5c (chrome, assemble): page furniture dropped, and the category,
headline, dek and intro found above the first section."""

import pytest

from articles.importer import parse_brief
from tests.articles.importer.helpers import brief_with, only_section


def test_it_drops_a_breadcrumb_and_returns_the_category_line():
    brief = parse_brief(
        "Home > Business > Chipmaker opens a new plant\n"
        "Business\n\n"
        "Chipmaker opens a new plant\n\n"
        "The plant will employ 900 people.\n"
    )
    assert brief.category == "Business"
    assert brief.headline == "Chipmaker opens a new plant"
    assert brief.dek == "The plant will employ 900 people."
    assert brief.warnings[-1].startswith("No section labels like 'Why it matters:'")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Fed Holds Rates\n\nThe central bank kept rates steady.\n",
            {"category": None, "headline": "Fed Holds Rates"},
            id="a short title-case headline followed by its dek is not a category",
        ),
        pytest.param(
            "Subject: Fwd: the morning brief\nFrom: Desk <desk@example.org>\n\n"
            "Ports reopen after the strike\n\nShips move.\n",
            {"headline": "Ports reopen after the strike", "dek": "Ships move."},
            id="it drops the headers of a forwarded mail",
        ),
        pytest.param(
            "The headline\nThe dek sits on the next line.\n\nIntro one.\n\n"
            "Intro two.\n\nWhy it matters: Because.\n",
            {
                "headline": "The headline",
                "dek": "The dek sits on the next line.",
                "intro": ["Intro one.", "Intro two."],
            },
            id="paragraphs before the first label are headline, dek and intro",
        ),
        pytest.param(
            "Headline\n\nThe dek was wrapped\nby an e-mail client.\n",
            {"dek": "The dek was wrapped by an e-mail client."},
            id="it joins hard-wrapped lines of a paragraph",
        ),
        pytest.param(
            "Council approves a flood wall for the east bank of the river\n\n"
            "The wall will run 2.4 kilometres along the river and protect about\n"
            "3,800 homes that flooded in 2021 and again last winter, the city\n"
            "Council said on Tuesday after a vote of nine to two in favour of it.\n",
            {
                "dek": "The wall will run 2.4 kilometres along the river and protect "
                "about 3,800 homes that flooded in 2021 and again last winter, the "
                "city Council said on Tuesday after a vote of nine to two in favour "
                "of it."
            },
            id="a hard-wrapped text joins lines whatever they start with",
        ),
    ],
)
def test_it_reads_the_top_of_a_brief(text, expected):
    brief = parse_brief(text)
    assert {field: getattr(brief, field) for field in expected} == expected


def test_without_a_category_line_the_breadcrumbs_section_is_the_category():
    brief = parse_brief(
        "Home › World › Europe › Ports reopen after the strike\n\n"
        "Ports reopen after the strike\n\nShips are moving again.\n"
    )
    assert brief.category == "Europe"
    assert brief.headline == "Ports reopen after the strike"
    assert not any("breadcrumb" in warning for warning in brief.warnings)


PORTS = "Ports reopen after the strike"


@pytest.mark.parametrize(
    ("paste", "dek"),
    [
        # Date lines and photo credits under the headline.
        *[
            pytest.param(f"{PORTS}\n{line}\n\nShips are moving.\n", "Ships are moving.")
            for line in [
                "Dec 8, 2025",
                "Updated: 8 December 2025 10:30 CET",
                "Published Monday, March 3, 2025 - 9:15 a.m.",
                "3 hours ago",
                "4 min read",
                "Photo: Jane Doe/Example Agency",
            ]
        ],
        # Menus, mastheads and bare times above it.
        *[
            pytest.param(f"{line}\n\n{PORTS}\n\nShips move.\n", "Ships move.")
            for line in [
                "News | Sport | Weather | Opinion",
                "MARKETS DAILY | Tuesday",
                "Search",
                "Updated 6:42 p.m.",
                "Published: 09.15 CET",
            ]
        ],
    ],
)
def test_it_drops_dates_credits_menus_and_mastheads_around_the_headline(paste, dek):
    brief = parse_brief(paste)
    assert brief.headline == PORTS
    assert brief.dek == dek
    assert brief.intro == []


def test_it_warns_when_the_breadcrumb_names_another_headline():
    brief = parse_brief(
        "Home » Council approves something else entirely\n\nThe real headline\n\nDek."
    )
    assert brief.headline == "The real headline"
    assert any("breadcrumb" in warning for warning in brief.warnings)


@pytest.mark.parametrize(
    "footer",
    [
        "*The Daily is written by our desk. Forwarded this? Subscribe here.*",
        "--\nYou are receiving this because you signed up.\nUnsubscribe | Preferences",
        "Read more: The strike, explained",
        "Related: Why dockers walked out",
    ],
)
def test_it_drops_a_newsletters_footer_and_links_to_other_stories(footer):
    section = only_section(f"Why it matters: Because.\n\n{footer}\n")
    assert section.text == "Because."


def test_a_list_of_other_stories_is_dropped_and_the_editor_told():
    brief = brief_with(
        "Why it matters: Because.\n\nMost read\n1. Council approves a stadium\n"
        "2. Storm warning for the weekend\n© 2026 Example News\n"
    )
    assert [s.label for s in brief.sections] == ["Why it matters"]
    assert brief.sections[0].bullets == []
    assert any("Dropped 'Most read' and the 2 line(s)" in w for w in brief.warnings)


def test_a_rail_heading_followed_by_a_section_is_not_a_rail():
    brief = brief_with("Why it matters: Because.\n\nRelated\n\nZoom in: Closer.\n")
    assert [s.label for s in brief.sections] == ["Why it matters", "Zoom in"]
    assert not any("Dropped" in w for w in brief.warnings)


@pytest.mark.parametrize(
    "chrome",
    [
        "Subscribe to our newsletter",
        "Sign up for the morning briefing",
        "Share",
        "Share on Facebook",
        "Advertisement",
        "Read more",
        "Read more »",
        "© 2025 Example Media. All rights reserved.",
        "Go deeper",
    ],
)
def test_it_drops_trailing_page_chrome(chrome):
    brief = brief_with(f"Why it matters: Because.\n\n{chrome}\n")
    assert brief.sections[0].text == "Because."
    assert brief.intro == []
    assert brief.warnings == []


@pytest.mark.parametrize("after", ["", "\n\nSubscribe to the Daily Example\n"])
def test_it_drops_chrome_lines_in_the_middle_but_keeps_look_alike_prose(after):
    section = only_section(
        "Why it matters: Because.\n\nAdvertisement\n\n"
        "Sign-up deadlines loom for the new school year." + after
    )
    assert section.text == "Because.\n\nSign-up deadlines loom for the new school year."


def test_it_removes_a_byline_under_the_headline_with_a_warning():
    brief = parse_brief("The headline\n\nBy Ana Ruiz and Tom Lee\n\nThe dek.\n")
    assert brief.dek == "The dek."
    assert "Removed the byline 'By Ana Ruiz and Tom Lee'." in brief.warnings


def test_bullets_before_the_first_section_are_kept_in_the_intro_with_a_warning():
    brief = brief_with("• Early bullet.\n\nWhy it matters: Because.\n")
    assert brief.intro == ["Early bullet."]
    assert any("Bullets before the first section" in w for w in brief.warnings)


def test_a_brief_without_sections_is_a_draft_with_a_warning():
    brief = parse_brief("Just a headline\n\nAnd a dek.\n\nAnd more text.\n")
    assert brief.sections == []
    assert brief.intro == ["And more text."]
    assert any(
        w.startswith("No section labels like 'Why it matters:' were found")
        for w in brief.warnings
    )


def test_a_brief_that_starts_with_a_section_has_no_headline_and_a_warning():
    brief = parse_brief("Why it matters: Because.\n\n- One.\n")
    assert brief.headline is None
    assert brief.sections[0].bullets == ["One."]
    assert any("No headline" in w for w in brief.warnings)
