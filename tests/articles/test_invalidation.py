"""Exact invalidation: a change makes fresh the cached pages that show it, and
only those.

Each test warms a set of pages through the real WSGI stack with the page
cache in front (as gunicorn serves it), makes one change with a real commit,
then reads every page again and sorts them into re-rendered and still cached.
"""

from datetime import timedelta

import time_machine
from django.test import override_settings
from django.utils import timezone

from articles import revisions
from articles.models import Article, Correction, PreviewLink
from tests.factories import (
    label,
    make_article,
    make_bullet,
    make_category,
    make_section,
    make_topic,
)
from tests.helpers import IMMEDIATE_TASKS, HarbourPageCacheTestCase

HOME = "/"
CRANES = "/briefs/cranes/"
TRAINS = "/briefs/trains/"
HARBOURS = "/category/harbours/"
RAIL = "/category/rail/"
SHIPPING = "/topic/shipping/"
SIGNALS = "/topic/signals/"
ADA = "/author/ada/"
FEED = "/feed/"
RAIL_FEED = "/category/rail/feed/"
PAGES = (HOME, CRANES, TRAINS, HARBOURS, RAIL, SHIPPING, SIGNALS, ADA, FEED, RAIL_FEED)


class ExactInvalidationTests(HarbourPageCacheTestCase):
    def setUp(self):
        super().setUp()
        self.rail = make_category(name="Rail", slug="rail")
        self.signals = make_topic(name="Signals", slug="signals")
        self.trains = make_article(
            headline="Night trains come back",
            slug="trains",
            category=self.rail,
            topics=[self.signals],
        )
        self.draft = make_article(
            headline="Dredging plan drafted",
            slug="dredging",
            category=self.harbours,
            status=Article.Status.DRAFT,
        )

    def warm(self):
        for path in PAGES:
            self.get(path)
            status, _, hit = self.get(path)
            self.assertTrue(status.startswith("200"), (path, status))
            self.assertIs(hit, True, f"{path} was not served from the page cache")

    def rendered_again(self) -> set[str]:
        return {path for path in PAGES if not self.get(path)[2]}

    def assert_fresh(self, change, *, fresh, cached):
        """`change` re-renders every page of `fresh` and none of `cached`."""
        self.warm()
        change()
        again = self.rendered_again()
        self.assertEqual(again & set(fresh), set(fresh), "not refreshed")
        self.assertEqual(again & set(cached), set(), "refreshed for nothing")

    def assert_nothing_changes(self, change):
        self.assert_fresh(change, fresh=(), cached=PAGES)

    # Nothing public -------------------------------------------------------

    def test_a_draft_save_changes_no_cached_page(self):
        def save_draft():
            self.draft.headline = "Dredging plan redrafted"
            self.draft.save()
            make_bullet(make_section(self.draft, text="Draft lead."), "A draft line.")

        self.assert_nothing_changes(save_draft)

    def test_a_revision_changes_no_cached_page(self):
        self.assert_nothing_changes(lambda: revisions.record(self.cranes))

    def test_a_preview_link_changes_no_cached_page(self):
        self.assert_nothing_changes(
            lambda: PreviewLink.objects.create(article=self.draft)
        )

    def test_scheduling_a_brief_changes_no_cached_page_before_its_time(self):
        def schedule():
            self.draft.publish(timezone.now() + timedelta(hours=1))

        self.assert_nothing_changes(schedule)

    # Public changes -------------------------------------------------------

    def test_publishing_refreshes_the_lists_it_joins_and_no_other_page(self):
        def publish():
            self.draft.publish()

        self.assert_fresh(
            publish,
            fresh=(HOME, HARBOURS, FEED),
            cached=(CRANES, TRAINS, RAIL, SHIPPING, SIGNALS, ADA, RAIL_FEED),
        )
        self.assertIn("Dredging plan drafted", self.get(HARBOURS)[1])

    def test_editing_a_public_brief_refreshes_the_pages_showing_it(self):
        def edit():
            self.cranes.headline = "Cranes roar back"
            self.cranes.save()

        self.assert_fresh(
            edit,
            fresh=(HOME, CRANES, HARBOURS, SHIPPING, ADA, FEED),
            cached=(TRAINS, RAIL, SIGNALS, RAIL_FEED),
        )
        for path in (HOME, CRANES, HARBOURS, SHIPPING, ADA, FEED):
            self.assertIn("Cranes roar back", self.get(path)[1], path)

    def test_a_new_bullet_refreshes_the_brief_and_leaves_other_briefs(self):
        self.assert_fresh(
            lambda: make_bullet(self.section, "A new bullet arrives."),
            fresh=(CRANES, FEED),
            cached=(TRAINS, RAIL, SIGNALS, RAIL_FEED),
        )
        self.assertIn("A new bullet arrives.", self.get(CRANES)[1])

    def test_unpublishing_refreshes_the_lists_it_leaves_and_no_other_page(self):
        def unpublish():
            self.trains.status = Article.Status.UNPUBLISHED
            self.trains.save()

        self.assert_fresh(
            unpublish,
            fresh=(HOME, TRAINS, RAIL, SIGNALS, FEED, RAIL_FEED),
            cached=(CRANES, HARBOURS, SHIPPING, ADA),
        )
        self.assertTrue(self.get(TRAINS)[0].startswith("404"))
        self.assertNotIn("Night trains come back", self.get(HOME)[1])

    def test_moving_a_brief_to_another_category_refreshes_both_lists(self):
        def move():
            self.trains.category = self.harbours
            self.trains.save()

        self.assert_fresh(
            move, fresh=(HOME, TRAINS, HARBOURS, RAIL, RAIL_FEED), cached=(ADA,)
        )
        self.assertIn("Night trains come back", self.get(HARBOURS)[1])
        self.assertNotIn("Night trains come back", self.get(RAIL)[1])

    def test_a_correction_refreshes_its_brief_and_leaves_other_briefs(self):
        def correct():
            Correction.objects.create(
                article=self.cranes, text="An earlier version misnamed the port."
            )

        self.assert_fresh(
            correct, fresh=(CRANES,), cached=(TRAINS, RAIL, SIGNALS, RAIL_FEED)
        )
        self.assertIn("misnamed the port", self.get(CRANES)[1])

    def assert_renaming_refreshes(self, thing, name, *, fresh, cached, shown_on):
        """Renaming `thing` to `name` re-renders `fresh` and none of `cached`;
        the page `shown_on` then shows the new name."""

        def rename():
            thing.name = name
            thing.save()

        self.assert_fresh(rename, fresh=fresh, cached=cached)
        self.assertIn(name, self.get(shown_on)[1])

    # A rename re-renders the briefs showing the name in a task: run it the
    # way a worker would, and only then are the pages to show the new name.
    @override_settings(TASKS=IMMEDIATE_TASKS)
    def test_renaming_an_author_refreshes_the_pages_naming_them(self):
        self.assert_renaming_refreshes(
            self.ada,
            "Ada Q. Quill",
            fresh=(CRANES, ADA),
            cached=(TRAINS, RAIL, SIGNALS, RAIL_FEED),
            shown_on=CRANES,
        )

    @override_settings(TASKS=IMMEDIATE_TASKS)
    def test_renaming_a_topic_refreshes_the_pages_naming_it(self):
        self.assert_renaming_refreshes(
            self.signals,
            "Signalling",
            fresh=(TRAINS, SIGNALS),
            cached=(CRANES, HARBOURS, SHIPPING, ADA),
            shown_on=TRAINS,
        )

    def test_renaming_a_category_refreshes_every_page_with_the_navigation(self):
        self.assert_renaming_refreshes(
            self.rail,
            "Railways",
            fresh=(HOME, CRANES, TRAINS, RAIL, ADA),
            cached=(),
            shown_on=CRANES,
        )

    @override_settings(TASKS=IMMEDIATE_TASKS)
    def test_renaming_a_label_refreshes_whole_briefs_not_lists(self):
        self.assert_renaming_refreshes(
            label("Why it matters"),
            "Why it counts",
            fresh=(CRANES,),
            cached=(HOME, HARBOURS, RAIL, ADA),
            shown_on=CRANES,
        )

    def test_a_scheduled_brief_refreshes_its_lists_when_its_time_comes(self):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            self.draft.category = self.rail
            self.draft.publish(timezone.now() + timedelta(minutes=30))
            self.warm()
            clock.shift(timedelta(minutes=31))
            again = self.rendered_again()
            self.assertEqual(
                again & {HOME, RAIL, FEED, RAIL_FEED}, {HOME, RAIL, FEED, RAIL_FEED}
            )
            self.assertEqual(again & {CRANES, TRAINS, HARBOURS, SHIPPING, ADA}, set())
            self.assertIn("Dredging plan drafted", self.get(RAIL)[1])
