"""The pictures in docs/ come from here: the demo newsroom, seen by an editor
and a reader, at phone and desktop width, light and dark (`make docs-screens`
writes them to docs/images; a plain test run to test-artifacts/screens).

Each test also checks what its picture is meant to show, so a guide never
illustrates a broken screen."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, Correction
from tests.factories import make_article
from tests.newsletter.factories import default_newsletter, make_subscriber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", verbosity=0)
    return Article.objects.published().order_by("-published_at")


def test_the_desk_shows_the_demo_newsroom_to_an_editor(admin_page, demo, docshot):
    # A working day on the desk: two briefs in review, one scheduled for
    # tomorrow, a draft of the editor's own, a correction, new readers.
    briefs = list(demo[:4])
    Article.objects.filter(pk__in=[b.pk for b in briefs[:2]]).update(
        status=Article.Status.REVIEW
    )
    Article.objects.filter(pk=briefs[2].pk).update(
        published_at=timezone.now() + timedelta(days=1, hours=2)
    )
    Correction.objects.create(
        article=briefs[3], text="An earlier version gave the wrong year."
    )
    make_article(
        headline="Council weighs a later closing time for the night market",
        status=Article.Status.DRAFT,
        created_by=get_user_model().objects.get(username="chief"),
    )
    newsletter = default_newsletter()
    for _ in range(3):
        make_subscriber(newsletters=[newsletter])
    admin_page.goto("/admin/")
    counts = admin_page.locator(".desk .desk-panel__count").all_inner_texts()
    assert counts[:3] == ["2", "1", "1"], counts
    docshot("desk")
    assert admin_page.js_errors == []


def test_a_reader_sees_the_home_page_and_a_brief(page, demo, docshot):
    page.goto("/")
    assert page.locator("main article, main .card").count() > 0
    docshot("home", full_page=False)
    brief = demo.first()
    page.goto(brief.get_absolute_url())
    assert page.locator("h1").inner_text() == brief.headline
    docshot("brief")
    assert page.js_errors == []
