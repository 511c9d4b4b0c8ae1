"""The article page shows every brief exactly as the templates showed it before
the body was rendered on save (issue 12).

tests/fixtures/briefs/rendered/ holds each brief's <article class="brief">
as the page printed it before that change, and its <head> as printed before
the head and the main column were stored too (NAME.head.html), whitespace
normalised: the demo
briefs (articles/demo_content.py), every importer fixture of the corpus
(imported and published), and one brief with every part (corrections, a
numbered list, topics, several authors, rich text with hostile markup).
Regenerate only on purpose: RENDERED_GOLDEN_WRITE=1 pytest this file.
"""

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from django.db.models import Count
from django.test import TestCase

from articles.importer import parse_brief
from articles.management.commands.seed_demo import Command as SeedDemo
from articles.models import Article, Category, Correction
from articles.services import create_brief_from_parsed
from tests.factories import (
    label,
    make_article,
    make_author,
    make_bullet,
    make_section,
    make_topic,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "briefs"
CORPUS = FIXTURES / "corpus"
GOLDEN = FIXTURES / "rendered"
WRITE = os.environ.get("RENDERED_GOLDEN_WRITE") == "1"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

_BRIEF = re.compile(r'<article class="brief">.*?</article>', re.S)
_HEAD = re.compile(r"<head>.*?</head>", re.S)
_CARD = re.compile(r'<article class="card[ "].*?</article>', re.S)


def normalised(html: str) -> str:
    html = re.sub(r">\s+<", "><", html)
    return re.sub(r"\s+", " ", html).strip()


class RenderedPageTests(TestCase):
    def setUp(self):
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def shown(self, article: Article) -> tuple[str, str]:
        """The page's brief and its head, whitespace normalised."""
        response = self.client.get(article.get_absolute_url())
        self.assertEqual(response.status_code, 200, article.slug)
        html = response.content.decode()
        found, head = _BRIEF.search(html), _HEAD.search(html)
        self.assertIsNotNone(found, article.slug)
        self.assertIsNotNone(head, article.slug)
        return normalised(found.group(0)), normalised(head.group(0))

    def check(self, name: str, shown: tuple[str, str]) -> None:
        for part, html in zip((name, f"{name}.head"), shown, strict=True):
            path = GOLDEN / f"{part}.html"
            if WRITE:
                GOLDEN.mkdir(exist_ok=True)
                path.write_text(html + "\n", encoding="utf-8")
            self.assertEqual(html, path.read_text(encoding="utf-8").strip(), part)

    def test_every_demo_brief_shows_as_before(self):
        from articles import demo_content

        with self.captureOnCommitCallbacks(execute=True):
            SeedDemo().load_content(images=False)
        slugs = [brief["slug"] for brief in demo_content.BRIEFS]
        self.assertGreater(len(slugs), 5)
        for slug in slugs:
            with self.subTest(slug=slug):
                self.check(f"demo-{slug}", self.shown(Article.objects.get(slug=slug)))

    def test_every_demo_brief_shows_on_lists_as_before(self):
        # The cards as lists printed them before they were stored (NAME.html
        # holds one card per line): the home page's, with its lead, and a
        # category's, whose first picture loads eagerly.
        with self.captureOnCommitCallbacks(execute=True):
            SeedDemo().load_content(images=False)
        largest = (
            Article.objects.exclude(category=None)
            .values("category")
            .annotate(briefs=Count("pk"))
            .order_by("-briefs", "category")
            .first()
        )
        category = Category.objects.get(pk=largest["category"])
        for name, path in (
            ("demo-home-cards", "/"),
            ("demo-category-cards", category.get_absolute_url()),
        ):
            with self.subTest(path=path), self.settings(ARTICLES_PER_PAGE=50):
                html = self.client.get(path).content.decode()
                cards = [normalised(card) for card in _CARD.findall(html)]
                self.assertGreater(len(cards), 1, path)
                golden = GOLDEN / f"{name}.html"
                if WRITE:
                    golden.write_text("\n".join(cards) + "\n", encoding="utf-8")
                self.assertEqual(
                    cards, golden.read_text(encoding="utf-8").splitlines(), name
                )

    def test_every_corpus_brief_shows_as_before_once_imported(self):
        names = sorted(path.stem for path in CORPUS.glob("*.txt"))
        self.assertGreaterEqual(len(names), 20)
        for name in names:
            with self.subTest(name=name):
                parsed = parse_brief((CORPUS / f"{name}.txt").read_bytes())
                with self.captureOnCommitCallbacks(execute=True):
                    article = create_brief_from_parsed(parsed, publish=True)
                self.check(f"corpus-{name}", self.shown(article))

    def test_a_brief_with_every_part_shows_as_before(self):
        with self.captureOnCommitCallbacks(execute=True):
            article = make_article(
                headline="Every part of a brief",
                slug="every-part",
                dek="A brief with every part a brief can have.",
                intro='<p>An <em>intro</em> with <a href="https://example.com/a" '
                'onclick="x()">a link</a>.</p><script>alert(1)</script>'
                "<ul><li>A listed point</li></ul>",
                authors=[
                    make_author(name="Aki Sato", slug="aki-sato"),
                    make_author(name="Zoë Rossi", slug="zoe-rossi"),
                    make_author(name="Lee Park", slug="lee-park"),
                ],
                topics=[
                    make_topic(name="Ports", slug="ports"),
                    make_topic(name="Budgets & rates", slug="budgets"),
                ],
                published_at=NOW - timedelta(hours=3),
            )
            first = make_section(
                article,
                label=label("Why it matters"),
                heading="A <bold> claim & more.",
                text='It <strong>counts</strong> <img src="x" onerror="y()">now.',
            )
            make_bullet(first, "One <em>point</em>.")
            make_bullet(first, 'Two <a href="javascript:evil()">points</a>.')
            steps = make_section(
                article, custom_label="What comes next?", numbered=True
            )
            for text in ("First step.", "Second step.", "Third step."):
                make_bullet(steps, text)
            make_section(article, custom_label="Zoom in", text="Only a lead.")
            make_section(article, label=label("The big picture"))
            Correction.objects.create(
                article=article,
                text="An earlier version named the <em>wrong</em> port.",
                created_at=NOW - timedelta(hours=1),
            )
            Correction.objects.create(
                article=article,
                kind=Correction.Kind.UPDATE,
                text="Adds the council's reply.",
                created_at=NOW - timedelta(minutes=30),
            )
        self.check("every-part", self.shown(article))
