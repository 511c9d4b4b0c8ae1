"""The workflow: states, transitions, and scheduling that needs no job."""

import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import TestCase
from django.utils import timezone

from articles import workflow
from articles.models import Article
from articles.roles import EDITOR, WRITER
from newsroom.pagecache import FileVersionStore, PageCache
from tests.factories import change_form_data, make_brief, make_category, make_role_user
from tests.helpers import wsgi_get

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def max_age(response) -> int | None:
    match = re.search(r"max-age=(\d+)", response.get("Cache-Control", ""))
    return int(match.group(1)) if match else None


class TransitionTests(TestCase):
    def setUp(self):
        self.writer = make_role_user("wes", WRITER)
        self.editor = make_role_user("eve", EDITOR)

    def names(self, user, article):
        return [a.name for a in workflow.available_actions(user, article)]

    def test_writers_only_move_between_draft_and_review(self):
        draft = make_brief(status=Article.Status.DRAFT, published_at=None)
        review = make_brief(status=Article.Status.REVIEW, published_at=None)
        self.assertEqual(self.names(self.writer, draft), ["submit"])
        self.assertEqual(self.names(self.writer, review), ["to_draft"])

    def test_editors_publish_and_unpublish(self):
        review = make_brief(status=Article.Status.REVIEW, published_at=None)
        live = make_brief()
        gone = make_brief(status=Article.Status.UNPUBLISHED)
        self.assertEqual(self.names(self.editor, review), ["publish", "to_draft"])
        self.assertEqual(self.names(self.editor, live), ["unpublish"])
        self.assertEqual(self.names(self.editor, gone), ["publish"])

    def test_publishing_sets_the_time_only_when_there_is_none(self):
        with time_machine.travel(NOON, tick=False):
            fresh = Article(status=Article.Status.REVIEW)
            workflow.apply(fresh, workflow.ACTIONS["publish"])
            self.assertEqual(fresh.published_at, NOON)

            earlier = NOON - timedelta(days=3)
            republished = Article(
                status=Article.Status.UNPUBLISHED, published_at=earlier
            )
            workflow.apply(republished, workflow.ACTIONS["publish"])
            self.assertEqual(republished.published_at, earlier)

    def test_the_state_says_when_a_brief_is_scheduled(self):
        with time_machine.travel(NOON, tick=False):
            later = make_brief(published_at=NOON + timedelta(hours=2))
            self.assertEqual(
                workflow.state_label(later), "Scheduled for 2 Mar 2026, 14:00"
            )
            self.assertEqual(workflow.state_label(make_brief()), "Published")


class SchedulingTests(TestCase):
    """A scheduled brief appears at its time: the QuerySet reads the clock."""

    def setUp(self):
        self.editor = make_role_user("sched", EDITOR)
        self.client.force_login(self.editor)
        self.category = make_category(name="World", slug="world")

    def schedule(self, when) -> Article:
        draft = make_brief(
            status=Article.Status.REVIEW,
            published_at=None,
            headline="Summit opens at dawn",
            slug="summit-opens",
            category=self.category,
        )
        data = change_form_data(
            draft,
            _publish="1",
            published_at_0=when.strftime("%Y-%m-%d"),
            published_at_1=when.strftime("%H:%M:%S"),
        )
        response = self.client.post(f"/admin/articles/article/{draft.pk}/change/", data)
        self.assertEqual(response.status_code, 302, response.content[:3000])
        draft.refresh_from_db()
        return draft

    def test_it_appears_to_readers_at_its_time_with_no_job(self):
        at = NOON + timedelta(hours=1)
        with time_machine.travel(NOON, tick=False) as clock:
            brief = self.schedule(at)
            self.assertEqual(brief.status, Article.Status.PUBLISHED)
            self.assertEqual(brief.published_at, at)

            # Before its time: nowhere for readers, "Scheduled" for editors.
            self.client.logout()
            home = self.client.get("/")
            self.assertNotContains(home, "Summit opens at dawn")
            self.assertNotContains(self.client.get("/category/world/"), "Summit opens")
            self.assertEqual(self.client.get("/briefs/summit-opens/").status_code, 404)
            self.assertFalse(Article.objects.published().filter(pk=brief.pk).exists())

            # A page cached before the publication time may be served for at
            # most its lifetime: just after that, the brief must show.
            lifetime = max_age(home) or 0
            self.assertLessEqual(lifetime, settings.PAGE_CACHE_SECONDS)
            clock.move_to(at + timedelta(seconds=lifetime + 1))

            self.assertContains(self.client.get("/"), "Summit opens at dawn")
            self.assertContains(self.client.get("/category/world/"), "Summit opens")
            self.assertContains(
                self.client.get("/briefs/summit-opens/"), "Summit opens"
            )

    def test_one_second_early_it_is_still_hidden(self):
        at = NOON + timedelta(hours=1)
        with time_machine.travel(NOON, tick=False) as clock:
            self.schedule(at)
            self.client.logout()
            clock.move_to(at - timedelta(seconds=1))
            self.assertEqual(self.client.get("/briefs/summit-opens/").status_code, 404)
            clock.move_to(at)
            self.assertEqual(self.client.get("/briefs/summit-opens/").status_code, 200)

    def test_the_list_shows_it_as_scheduled(self):
        with time_machine.travel(NOON, tick=False):
            self.schedule(NOON + timedelta(days=1))
            response = self.client.get("/admin/articles/article/")
            self.assertContains(response, "Scheduled for 3 Mar 2026, 12:00")

    def test_publish_now_brings_a_scheduled_brief_forward(self):
        with time_machine.travel(NOON, tick=False):
            brief = self.schedule(NOON + timedelta(days=1))
            self.client.post(
                "/admin/articles/article/",
                {"action": "publish_now", "_selected_action": [brief.pk]},
            )
            brief.refresh_from_db()
            self.assertEqual(brief.published_at, timezone.now())
            self.assertTrue(brief.is_published)


class ScheduledThroughThePageCacheTests(TestCase):
    """The whole stack: pages and feeds rendered before the time, then after."""

    def setUp(self):
        self.enterContext(self.settings(PAGE_CACHE_ENABLED=True))
        tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.app = PageCache(WSGIHandler(), store=FileVersionStore(tmp / "version"))
        # As Django's test client does: a request must not close the test's
        # database connection (and its transaction) when it finishes.
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
            self.addCleanup(signal.connect, close_old_connections)

    def get(self, path):
        _, headers, body = wsgi_get(self.app, path, scheme="http", host="testserver")
        return headers, body.decode()

    def test_cached_pages_and_feeds_show_it_once_its_time_has_come(self):
        at = NOON + timedelta(hours=1)
        with time_machine.travel(NOON, tick=False) as clock:
            make_brief(headline="Summit opens at dawn", slug="summit", published_at=at)
            for path in ("/", "/feed/"):
                headers, body = self.get(path)
                self.assertNotIn("Summit opens at dawn", body)
                # Served again from the cache before the time: still hidden.
                headers, body = self.get(path)
                self.assertEqual(headers.get("X-Page-Cache"), "hit")
                self.assertNotIn("Summit opens at dawn", body)

            clock.move_to(at + timedelta(seconds=1))
            for path in ("/", "/feed/"):
                headers, body = self.get(path)
                self.assertIn("Summit opens at dawn", body, path)
                # What browsers and CDNs may keep is bounded by the setting.
                self.assertLessEqual(
                    max_age_of(headers.get("Cache-Control", "")),
                    settings.PAGE_CACHE_SECONDS,
                )


def max_age_of(cache_control: str) -> int:
    match = re.search(r"max-age=(\d+)", cache_control)
    return int(match.group(1)) if match else 0
