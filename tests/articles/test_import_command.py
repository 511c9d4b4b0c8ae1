import io
import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from articles.importer import ParsedBrief, ParsedSection, parse_brief
from articles.models import Article, Revision
from articles.services import create_brief_from_parsed
from tests.factories import label, make_category, make_user

HARBOUR = """Home » Harbour workers end their strike
Business

Harbour workers end their strike

Dockers voted to return after a week, and cargo is moving again.

Ships queued for days outside the port.

Why it matters: The port handles a third of the country's imports.

Driving the news: Talks ended overnight.
• Pay rises by 6% over two years.
• Night shifts get a new bonus <b>not markup</b> & more.

What we’re watching:
- Whether the backlog clears by Friday.

Shippers are asking:
* Who pays for the delay?

Subscribe to our newsletter
"""

REPO = Path(settings.BASE_DIR)


def run(*args, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """The real command line, as an editor types it."""
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "import_brief", *args],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )


class ImportBriefJsonTests(TestCase):
    def setUp(self):
        self.path = Path(self.enterContext(_tmpdir())) / "brief.txt"
        self.path.write_text(HARBOUR, encoding="utf-8")

    def test_json_prints_the_parsed_structure_and_saves_nothing(self):
        out = io.StringIO()
        call_command("import_brief", str(self.path), "--json", stdout=out)

        printed = json.loads(out.getvalue())
        self.assertEqual(printed, parse_brief(HARBOUR).to_dict())
        self.assertEqual(
            set(printed), {"headline", "dek", "intro", "sections", "category"}
        )
        self.assertEqual(
            set(printed["sections"][0]),
            {"label", "heading", "text", "bullets", "numbered"},
        )
        self.assertEqual(printed["headline"], "Harbour workers end their strike")
        self.assertFalse(Article.objects.exists())

    def test_json_keeps_non_ascii_readable(self):
        out = io.StringIO()
        call_command("import_brief", str(self.path), "--json", stdout=out)
        self.assertIn("What we’re watching", out.getvalue())

    def test_a_dash_reads_standard_input(self):
        stdin = io.TextIOWrapper(io.BytesIO(HARBOUR.encode()), encoding="utf-8")
        out = io.StringIO()
        with _patched_stdin(stdin):
            call_command("import_brief", "-", "--json", stdout=out)
        self.assertEqual(
            json.loads(out.getvalue())["sections"][3]["label"], "Shippers are asking"
        )

    def test_json_and_publish_together_are_refused(self):
        with self.assertRaisesMessage(CommandError, "cannot --publish"):
            call_command("import_brief", str(self.path), "--json", "--publish")


class ImportBriefErrorTests(TestCase):
    def test_a_missing_file_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "no such file"):
            call_command("import_brief", "/nonexistent/brief.txt", "--json")

    def test_a_folder_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "is a folder"):
            call_command("import_brief", str(REPO), "--json")

    def test_unreadable_text_gives_the_parsers_message(self):
        with _tmpdir() as tmp:
            path = Path(tmp) / "empty.txt"
            path.write_text("   \n\n  ")
            with self.assertRaisesMessage(CommandError, "empty"):
                call_command("import_brief", str(path))
        self.assertFalse(Article.objects.exists())

    def test_the_command_line_exits_1_without_a_traceback(self):
        result = run("-", "--json", stdin=bytes(range(256)) * 8)
        self.assertEqual(result.returncode, 1)
        stderr = result.stderr.decode()
        self.assertIn("CommandError: standard input:", stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertEqual(result.stdout, b"")

    def test_the_command_line_reads_standard_input(self):
        result = run("-", "--json", stdin=HARBOUR.encode())
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(
            json.loads(result.stdout.decode()), parse_brief(HARBOUR).to_dict()
        )


class ImportBriefSaveTests(TestCase):
    def setUp(self):
        # The migration seeds these; a flushed test database may not have them.
        for name in ("Why it matters", "Driving the news", "What we're watching"):
            label(name)
        self.path = Path(self.enterContext(_tmpdir())) / "brief.txt"
        self.path.write_text(HARBOUR, encoding="utf-8")

    def test_it_saves_a_draft_with_standard_and_custom_labels(self):
        business = make_category(name="business", slug="business")
        out = io.StringIO()
        call_command("import_brief", str(self.path), stdout=out)

        article = Article.objects.get()
        self.assertIn("Saved draft", out.getvalue())
        self.assertEqual(article.status, Article.Status.DRAFT)
        self.assertEqual(article.headline, "Harbour workers end their strike")
        self.assertEqual(article.slug, "harbour-workers-end-their-strike")
        self.assertEqual(article.category, business)  # matched ignoring case
        self.assertEqual(
            article.intro, "<p>Ships queued for days outside the port.</p>"
        )
        sections = list(article.sections.all())
        self.assertEqual(
            [(s.label.name if s.label else None, s.custom_label) for s in sections],
            [
                ("Why it matters", ""),
                ("Driving the news", ""),
                # Curly apostrophe in the paste, straight in the label table.
                ("What we're watching", ""),
                (None, "Shippers are asking"),
            ],
        )
        self.assertEqual(sections[1].text, "Talks ended overnight.")
        bullets = [b.text for b in sections[1].bullets.all()]
        # Pasted text is text: angle brackets stay visible, never markup.
        self.assertEqual(
            bullets,
            [
                "Pay rises by 6% over two years.",
                "Night shifts get a new bonus &lt;b&gt;not markup&lt;/b&gt; &amp; more.",
            ],
        )
        self.assertEqual(
            Revision.objects.get(article=article).note, "Created from pasted text"
        )

    def test_an_unknown_category_is_left_empty(self):
        call_command("import_brief", str(self.path), stdout=io.StringIO())
        self.assertIsNone(Article.objects.get().category)

    def test_publish_makes_it_live_now(self):
        with self.captureOnCommitCallbacks(execute=True):
            call_command(
                "import_brief", str(self.path), "--publish", stdout=io.StringIO()
            )
        article = Article.objects.get()
        self.assertTrue(article.is_published)
        response = self.client.get(article.get_absolute_url())
        self.assertContains(
            response, "Night shifts get a new bonus &lt;b&gt;not markup"
        )

    def test_a_second_import_gets_its_own_address(self):
        call_command("import_brief", str(self.path), stdout=io.StringIO())
        call_command("import_brief", str(self.path), stdout=io.StringIO())
        self.assertEqual(
            sorted(Article.objects.values_list("slug", flat=True)),
            ["harbour-workers-end-their-strike", "harbour-workers-end-their-strike-2"],
        )


class ImportBriefScoreTests(TestCase):
    def setUp(self):
        self.folder = Path(self.enterContext(_tmpdir()))
        self.write("harbour", HARBOUR, parse_brief(HARBOUR).to_dict())

    def write(self, name: str, text: str, expected: dict) -> None:
        (self.folder / f"{name}.txt").write_text(text, encoding="utf-8")
        (self.folder / f"{name}.json").write_text(json.dumps(expected))

    def score(self, *args) -> str:
        out = io.StringIO()
        call_command("import_brief", "--score", str(self.folder), *args, stdout=out)
        return out.getvalue()

    def test_it_prints_each_brief_and_the_totals(self):
        wrong = parse_brief(HARBOUR).to_dict()
        wrong["headline"] = "Another headline"
        wrong["sections"][0]["text"] = "Not what the paste says."
        self.write("wrong", HARBOUR, wrong)

        out = self.score()

        self.assertRegex(out, r"harbour +sections +4/4 +headline ok\n")
        self.assertRegex(out, r"wrong +sections +3/4 +headline WRONG")
        self.assertIn("Total: 7/8 sections exact (87.5%), 1/2 headlines (50.0%)", out)
        self.assertFalse(Article.objects.exists())

    def test_verbosity_2_says_what_differed(self):
        wrong = parse_brief(HARBOUR).to_dict()
        wrong["sections"][0]["text"] = "Not what the paste says."
        self.write("wrong", HARBOUR, wrong)
        out = self.score("-v", "2")
        self.assertIn("section 'Why it matters': text \"The port handles", out)
        self.assertIn("(expected 'Not what the paste says.')", out)

    def test_a_missing_expected_warning_is_reported(self):
        expected = parse_brief(HARBOUR).to_dict()
        expected["warnings"] = ["a warning the importer never gives"]
        self.write("harbour", HARBOUR, expected)
        self.assertIn(
            "no warning about a warning the importer never gives", self.score()
        )

    def test_a_folder_without_briefs_or_no_folder_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "no such folder"):
            call_command("import_brief", "--score", str(self.folder / "nope"))
        empty = self.folder / "empty"
        empty.mkdir()
        with self.assertRaisesMessage(CommandError, "no NAME.txt with a NAME.json"):
            call_command("import_brief", "--score", str(empty))

    def test_score_takes_no_file(self):
        with self.assertRaisesMessage(CommandError, "--score takes a folder"):
            call_command("import_brief", "brief.txt", "--score", str(self.folder))


def _tmpdir():
    import tempfile

    return tempfile.TemporaryDirectory()


def _patched_stdin(stream):
    from unittest import mock

    return mock.patch.object(sys, "stdin", stream)


# Property-based: whatever arrives, importing never crashes. -------------------

any_text = st.text(max_size=400)
maybe_text = st.none() | any_text
labels = (
    st.sampled_from(["Why it matters", "WHAT WE’RE WATCHING", "zoom in", "", "x" * 120])
    | any_text
)
parsed_sections = st.builds(
    ParsedSection,
    label=labels,
    heading=maybe_text,
    text=maybe_text,
    bullets=st.lists(any_text, max_size=4),
)
parsed_briefs = st.builds(
    ParsedBrief,
    headline=st.none() | st.text(max_size=300),
    dek=maybe_text,
    intro=st.lists(any_text, max_size=3),
    sections=st.lists(parsed_sections, max_size=4),
    category=maybe_text,
)
pastes = st.text(max_size=2000) | st.binary(max_size=600).map(
    lambda raw: raw.decode("latin-1")
)


class ImportNeverCrashesTests(HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.editor = make_user("fuzzer", superuser=True)

    @hypothesis_settings(max_examples=60, deadline=None)
    @given(parsed_briefs)
    def test_any_parsed_brief_saves_and_renders(self, parsed):
        article = create_brief_from_parsed(parsed)

        self.assertEqual(article.sections.count(), len(parsed.sections))
        self.assertLessEqual(len(article.headline), 200)
        for section in article.sections.all():
            self.assertTrue(section.display_label)
            self.assertLessEqual(len(section.custom_label), 80)
        article.publish()
        self.assertEqual(self.client.get(article.get_absolute_url()).status_code, 200)

    @hypothesis_settings(max_examples=40, deadline=None)
    @given(pastes)
    def test_the_admin_answers_any_paste_without_an_error(self, text):
        self.client.force_login(self.editor)
        response = self.client.post(
            "/admin/articles/article/import/", {"text": text, "_create": "1"}
        )
        self.assertIn(response.status_code, (200, 302))
        if response.status_code == 200:
            self.assertContains(response, "could not be read as a brief")

    @hypothesis_settings(max_examples=60, deadline=None)
    @given(pastes)
    def test_the_command_prints_json_or_says_why(self, text):
        with _tmpdir() as tmp:
            path = Path(tmp) / "paste.txt"
            path.write_text(text, encoding="utf-8")
            out = io.StringIO()
            try:
                call_command("import_brief", str(path), "--json", stdout=out)
            except CommandError as exc:
                self.assertTrue(str(exc).startswith(str(path)))
                return
        data = json.loads(out.getvalue())
        self.assertEqual(
            set(data), {"headline", "dek", "intro", "sections", "category"}
        )
