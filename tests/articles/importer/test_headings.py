"""Step 5b (headings): a short bold or verbless first sentence is a heading."""

import pytest

from tests.articles.importer.helpers import only_section


@pytest.mark.parametrize(
    ("lead", "heading", "text"),
    [
        ("**A deeper axis.** The rest follows.", "A deeper axis.", "The rest follows."),
        (
            "__Higher for longer__ The bank waits.",
            "Higher for longer",
            "The bank waits.",
        ),
        ("**Only a heading.**", "Only a heading.", None),
        (
            "A leaner bus network. The plan folds routes.",
            "A leaner bus network.",
            "The plan folds routes.",
        ),
        (
            "New thresholds. The rule covers chips.",
            "New thresholds.",
            "The rule covers chips.",
        ),
        ("A rate cut. It came early.", "A rate cut.", "It came early."),
        ("3 things to know. First, rates.", "3 things to know.", "First, rates."),
        (
            "A shared rescue network. Ships stand by.",
            "A shared rescue network.",
            "Ships stand by.",
        ),
        ("Floating turbines. They cost more.", "Floating turbines.", "They cost more."),
    ],
)
def test_it_splits_off_a_heading(lead, heading, text):
    section = only_section(f"Zoom in: {lead}\n")
    assert (section.heading, section.text) == (heading, text)


def test_a_heading_alone_on_the_label_line_takes_the_next_paragraph_as_text():
    section = only_section("Zoom in: A deeper axis.\nThe talks went well.\n\n- x\n")
    assert (section.heading, section.text) == ("A deeper axis.", "The talks went well.")
    assert section.bullets == ["x"]


@pytest.mark.parametrize(
    "lead",
    [
        "Italy is back in the region. Two tracks define the posture:",
        "The Fed cut rates. Markets rallied.",
        "Rome reenters the game. Tokyo welcomed it.",
        "Two parallel tracks define the posture. More follows.",
        "Officials accelerated the plan. More follows.",
        "It's over. Talks ended.",
        "Expect more cuts. Markets agree.",
        "A deeper axis.",  # nothing follows, so it is the text
        "U.S. officials met. They talked.",  # "U.S." does not end a sentence
        "The first sentence here is far too long to be a sub-headline. Rest.",
        "What now? The board meets.",  # headings end with a full stop
    ],
)
def test_it_does_not_split_a_sentence_that_is_not_a_heading(lead):
    section = only_section(f"Zoom in: {lead}\n")
    assert section.heading is None
    assert section.text == lead
