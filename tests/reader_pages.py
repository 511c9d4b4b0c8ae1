"""One small site with every reader page type, for the validators.

Used by the Nu HTML Checker test and the axe-core browser test, so both
look at the same pages: each shows real content (sections, bullets, a hero
image, related briefs, search results with highlights, pagination).
"""

import json
import os
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import (
    label,
    make_article,
    make_author,
    make_bullet,
    make_category,
    make_section,
    make_topic,
)
from tests.imagefiles import upload

ROOT = Path(settings.BASE_DIR)
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def require(condition: bool, message: str) -> None:
    """Skip with `message`, or fail when REQUIRE_BROWSER=1 (CI)."""
    if condition:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_vnu() -> str:
    java = shutil.which("java")
    require(
        java is not None,
        "Java was not found: install a JRE to run the Nu HTML Checker.",
    )
    require(
        VNU_JAR.exists(),
        "node_modules/vnu-jar is missing: run `npm ci` (make test does).",
    )
    return java


def require_axe() -> Path:
    require(
        AXE_JS.exists(),
        "node_modules/axe-core is missing: run `npm ci` (make test does).",
    )
    return AXE_JS


def build_site() -> dict[str, str]:
    """Create the content; return {page name: URL}."""
    world = make_category(name="World", slug="world", description="News from abroad.")
    make_category(name="Economy", slug="economy")
    trade = make_topic(name="Trade", slug="trade", description="Tariffs and deals.")
    ports = make_topic(name="Ports", slug="ports")
    ada = make_author(
        name="Ada Reporter",
        slug="ada",
        title="Europe editor",
        bio="Ada covers trade and diplomacy from Brussels.",
        photo=upload("ada.png", None, "image/png"),
    )
    lead = make_article(
        headline="Harbour cranes return to work after the strike",
        slug="harbour-cranes",
        dek="Ten cranes restarted on Monday; two remain idle.",
        intro='<p>Dock workers returned at dawn, <a href="https://example.org/">the union said</a>.</p>',
        category=world,
        topics=[trade, ports],
        authors=[ada],
        hero_image=upload("cranes.jpg"),
        hero_alt="Container cranes against a pink morning sky",
        hero_caption="The port at first light.",
        hero_credit="Newsroom",
    )
    why = make_section(
        lead, position=0, label=label("Why it matters"), text="Exports depend on it."
    )
    make_bullet(why, "A third of the region's exports pass through the port.")
    zoom = make_section(
        lead, position=1, label=label("Zoom in"), heading="A deal at midnight."
    )
    make_bullet(zoom, "Wages rise <strong>4%</strong> this year.")
    make_bullet(zoom, "A review follows in <em>spring</em>.")
    from articles.models import Correction

    Correction.objects.create(
        article=lead, text="An earlier version gave the wrong <em>day</em>."
    )
    for n in range(14):
        make_article(
            headline=f"Trade brief number {n} on harbour traffic",
            dek="A short summary.",
            category=world,
            topics=[trade],
            authors=[ada],
            published_at=timezone.now() - timedelta(hours=n + 2),
        )
    from articles import search

    search.rebuild_index()
    month = lead.published_at
    return {
        "home": "/",
        "article": "/briefs/harbour-cranes/",
        "category": "/category/world/",
        "category-page-2": "/category/world/?page=2",
        "topic": "/topic/trade/",
        "author": "/author/ada/",
        "search": "/search/?q=harbour",
        "search-empty": "/search/",
        "search-none": "/search/?q=zebras",
        "archive": "/archive/",
        "archive-month": f"/archive/{month:%Y}/{month.month}/",
        "not-found": "/no/such/page/",
        "newsletter": "/newsletter/",
    }


def vnu_problems(java: str, files: dict[str, str]) -> tuple[list[str], int]:
    """Run the Nu HTML Checker once over `files` (path -> URL it came from).

    Returns one readable line per error, and the checker's exit code.
    """
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    problems = [
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))} "
        f"line {m.get('lastLine')}: {m.get('message')} [{m.get('extract', '').strip()}]"
        for m in messages
    ]
    return problems, result.returncode


class NuHtmlCheckerMixin:
    """A TestCase mixin: `keep_page` writes rendered pages to a temporary
    folder, `assertNoHtmlErrors` checks them all in a single JVM run (starting
    Java costs more than checking). Skips when the checker is missing."""

    def setUp(self):
        super().setUp()
        self.java = require_vnu()
        out = tempfile.TemporaryDirectory()
        self.addCleanup(out.cleanup)
        self.out = Path(out.name)
        self.kept: dict[str, str] = {}

    def keep_page(self, name: str, url: str, response) -> None:
        path = self.out / f"{name}.html"
        path.write_bytes(response.content)
        self.kept[str(path)] = url

    def assertNoHtmlErrors(self) -> int:
        """Fail with the checker's errors, if any; return its exit code."""
        problems, returncode = vnu_problems(self.java, self.kept)
        self.assertEqual(problems, [], "\n".join(problems))
        return returncode
