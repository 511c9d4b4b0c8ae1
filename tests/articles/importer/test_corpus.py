"""The importer on whole briefs: the fixture briefs, the scored corpus and the
shape of what it returns."""

import json
from pathlib import Path

import pytest

from articles.importer import KNOWN_LABELS, parse_brief
from articles.importer.score import score_folder
from tests.articles.importer.helpers import brief_with

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "briefs"


def fixture_names() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.txt"))


def test_there_are_enough_fixture_briefs():
    assert len(fixture_names()) >= 6
    for name in fixture_names():
        assert (FIXTURES / f"{name}.json").exists(), f"{name}.txt has no .json"


@pytest.mark.parametrize("name", fixture_names())
def test_it_parses_each_fixture_brief_into_its_expected_structure(name):
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    expected_warnings = expected.pop("warnings", [])
    # Read as bytes so CRLF line endings and encodings reach the parser as is.
    brief = parse_brief((FIXTURES / f"{name}.txt").read_bytes())
    assert brief.to_dict() == expected
    assert len(brief.warnings) == len(expected_warnings), brief.warnings
    for fragment in expected_warnings:
        assert any(fragment in warning for warning in brief.warnings), fragment


CORPUS = FIXTURES / "corpus"


def test_the_corpus_has_twenty_briefs_in_several_styles_each_with_its_structure():
    briefs = sorted(CORPUS.glob("*.txt"))
    assert len(briefs) >= 20
    for brief in briefs:
        assert brief.with_suffix(".json").exists(), f"{brief.name} has no .json"
    # City, markets, tech and politics newsletters, at least two of each.
    for beat in ("city", "markets", "tech", "politics"):
        assert sum(b.stem.startswith(beat) for b in briefs) >= 2, beat


def test_the_importer_recovers_nine_in_ten_corpus_sections_and_every_headline():
    """The issue's goal, measured as `manage.py import_brief --score` does."""
    score = score_folder(CORPUS)
    report = "\n".join(
        [
            f"{score.exact}/{score.sections} sections exact ({score.section_rate:.1%}), "
            f"{score.headlines}/{len(score.briefs)} headlines",
            *(f"{b.name}: {miss}" for b in score.briefs for miss in b.misses),
        ]
    )
    assert score.section_rate >= 0.90, report
    assert score.headline_rate == 1.0, report


def test_to_dict_has_the_documented_shape():
    data = brief_with("Why it matters: Because.\n\n- One.").to_dict()
    assert set(data) == {"category", "headline", "dek", "intro", "sections"}
    assert data["sections"] == [
        {
            "label": "Why it matters",
            "heading": None,
            "text": "Because.",
            "bullets": ["One."],
            "numbered": False,
        }
    ]
    json.dumps(data)  # plain data all the way down


def test_known_labels_are_the_canonical_smart_brevity_labels():
    assert "Why it matters" in KNOWN_LABELS
    assert "What we're watching" in KNOWN_LABELS
    assert all("’" not in label for label in KNOWN_LABELS)
    assert len(set(KNOWN_LABELS)) == len(KNOWN_LABELS)
