"""Step 4 (blocks): bullets, numbered lists and wrapped lines."""

import pytest

from tests.articles.importer.helpers import brief_with, only_section


@pytest.mark.parametrize(
    "marker", ["•", "◦", "▪", "‣", "·", "-", "–", "—", "*", "+", "1.", "1)", "o\t"]
)
def test_it_recognises_bullet_markers(marker):
    for indent in ("", "   ", "\t"):
        section = only_section(
            f"Zoom in:\n{indent}{marker} First.\n{indent}{marker} Second.\n"
        )
        assert section.bullets == ["First.", "Second."], (marker, indent)


@pytest.mark.parametrize("marker", ["{n}.", "{n})", "({n})", "1."])
def test_a_numbered_list_keeps_its_numbering(marker):
    lines = "".join(
        f"{marker.format(n=n)} {text}\n"
        for n, text in enumerate(["First.", "Second.", "Third."], start=1)
    )
    section = only_section(f"The plan:\n{lines}")
    assert section.numbered is True
    assert section.bullets == ["First.", "Second.", "Third."]


def test_bullets_are_not_a_numbered_list():
    section = only_section("Zoom in:\n- First.\n- Second.\n")
    assert section.numbered is False


def test_numbers_that_do_not_count_up_stay_in_the_bullets_with_a_warning():
    brief = brief_with("The plan:\n1. First.\n3. Third.\n- Loose.\n")
    section = brief.sections[0]
    assert section.numbered is False
    assert section.bullets == ["1. First.", "3. Third.", "Loose."]
    assert any("numbers were kept in the text" in w for w in brief.warnings)


def test_to_dict_says_whether_a_section_is_numbered():
    data = brief_with("By the numbers:\n1. One.\n2. Two.\n").to_dict()
    assert data["sections"][0]["numbered"] is True


def test_blank_lines_between_bullets_do_not_matter():
    tight = only_section("Zoom in:\n• One.\n• Two.\n")
    loose = only_section("Zoom in:\n\n• One.\n\n\n• Two.\n\n")
    assert tight == loose


@pytest.mark.parametrize("line", ["-5% in a year was the drop.", "**Bold** start."])
def test_lines_that_merely_start_with_a_marker_character_are_not_bullets(line):
    section = only_section(f"Why it matters: Lead.\n{line}\n")
    assert section.bullets == []
    assert section.text == f"Lead.\n\n{line}"


def test_an_indented_continuation_line_joins_its_bullet():
    section = only_section(
        "Zoom in:\n- The first bullet wraps\n  Onto a second line.\n"
        "- The second wraps\nwithout indent.\n"
    )
    assert section.bullets == [
        "The first bullet wraps Onto a second line.",
        "The second wraps without indent.",
    ]


def test_a_bullet_marker_alone_on_its_line_takes_the_next_line():
    section = only_section("Zoom in:\n•\nFirst.\n•\n\nSecond.\n")
    assert section.bullets == ["First.", "Second."]


def test_a_paragraph_after_the_bullets_is_kept_with_a_warning():
    brief = brief_with("Zoom in: Lead.\n\n- One.\n\nA closing thought.\n")
    section = brief.sections[0]
    assert section.text == "Lead.\n\nA closing thought."
    assert section.bullets == ["One."]
    assert any("after the bullets" in w for w in brief.warnings)
