import xml.etree.ElementTree as ET

import feedparser
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from tests.factories import (
    label,
    make_article,
    make_author,
    make_brief,
    make_bullet,
    make_category,
    make_section,
    make_topic,
)
from tests.helpers import SITE, MediaRootMixin, on_the_site, world_trade_ada
from tests.imagefiles import upload

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}


@on_the_site()
class FeedTests(MediaRootMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world, cls.trade, cls.ada = world_trade_ada()
        cls.bo = make_author(name="Bo Writer", slug="bo")
        cls.article = make_article(
            headline="Ports reopen after the strike",
            slug="ports",
            dek="Cargo moves again & shippers <relax>.",
            intro="<p>The intro paragraph.</p>",
            category=cls.world,
            topics=[cls.trade],
            authors=[cls.ada, cls.bo],
        )
        why = make_section(
            cls.article, label=label("Why it matters"), text="Supply chains."
        )
        make_bullet(why, "Ten ships <strong>unloaded</strong>.")
        cls.other = make_article(headline="Other news", slug="other")
        cls.draft = make_article(headline="Secret draft", status=Article.Status.DRAFT)

    def rss(self, url="/feed/", **extra):
        response = self.client.get(url, **extra)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("application/rss+xml"))
        return response.content

    def atom(self, url="/feed/atom/"):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("application/atom+xml"))
        return response.content

    def test_the_rss_feed_parses_as_valid_rss_2(self):
        body = self.rss()
        parsed = feedparser.parse(body)
        self.assertFalse(parsed.bozo, parsed.get("bozo_exception"))
        self.assertEqual(parsed.version, "rss20")
        channel = ET.fromstring(body).find("channel")
        for required in ("title", "link", "description"):
            self.assertTrue(channel.findtext(required), required)
        items = channel.findall("item")
        self.assertEqual(
            [i.findtext("title") for i in items],
            ["Ports reopen after the strike", "Other news"],
        )
        for item in items:
            for required in ("link", "guid", "pubDate", "description"):
                self.assertTrue(item.findtext(required), required)

    def test_the_atom_feed_parses_as_valid_atom_1(self):
        body = self.atom()
        parsed = feedparser.parse(body)
        self.assertFalse(parsed.bozo, parsed.get("bozo_exception"))
        self.assertEqual(parsed.version, "atom10")
        root = ET.fromstring(body)
        for required in (
            "atom:id",
            "atom:title",
            "atom:updated",
            "atom:author/atom:name",
        ):
            self.assertIsNotNone(root.find(required, NS), required)
        entry = root.find("atom:entry", NS)
        for required in ("atom:id", "atom:title", "atom:updated", "atom:published"):
            self.assertTrue(entry.findtext(required, namespaces=NS), required)
        self.assertEqual(
            [
                a.findtext("atom:name", namespaces=NS)
                for a in entry.findall("atom:author", NS)
            ],
            ["Ada Reporter", "Bo Writer"],
        )

    def test_items_carry_the_full_structured_brief(self):
        item = ET.fromstring(self.rss()).find("channel/item")
        content = item.findtext("content:encoded", namespaces=NS)
        # The body as the brief's page shows it (rendered on save).
        self.assertIn(">Why it matters:</h2>", content)
        self.assertIn('<p class="brief-section__lead">Supply chains.</p>', content)
        self.assertIn("<li>Ten ships <strong>unloaded</strong>.</li>", content)
        self.assertIn("<p>The intro paragraph.</p>", content)
        # The plain-text dek is escaped once, as HTML, for the summary.
        self.assertEqual(
            item.findtext("description"),
            "Cargo moves again &amp; shippers &lt;relax&gt;.",
        )
        self.assertEqual(
            [c.text for c in item.findall("dc:creator", NS)],
            ["Ada Reporter", "Bo Writer"],
        )
        self.assertEqual([c.text for c in item.findall("category")], ["World", "Trade"])
        entry = ET.fromstring(self.atom()).find("atom:entry", NS)
        html = entry.find("atom:content", NS)
        self.assertEqual(html.get("type"), "html")
        self.assertIn("<li>Ten ships <strong>unloaded</strong>.</li>", html.text)

    def test_links_use_site_url_never_the_request_host(self):
        body = self.rss(HTTP_HOST="evil.example").decode()
        self.assertNotIn("evil.example", body)
        item = ET.fromstring(body).find("channel/item")
        self.assertEqual(item.findtext("link"), f"{SITE}/briefs/ports/")
        self.assertEqual(item.find("guid").get("isPermaLink"), "false")
        self.assertIn(f"{SITE}/feed/", body)

    def test_drafts_never_appear(self):
        self.assertNotIn(b"Secret draft", self.rss())
        self.assertNotIn(b"Secret draft", self.atom())

    def test_category_topic_and_author_feeds_hold_only_their_briefs(self):
        for url in [
            "/category/world/feed/",
            "/topic/trade/feed/",
            "/author/ada/feed/",
        ]:
            with self.subTest(url=url):
                titles = [
                    i.findtext("title")
                    for i in ET.fromstring(self.rss(url)).iter("item")
                ]
                self.assertEqual(titles, ["Ports reopen after the strike"])
                atom = self.atom(url + "atom/")
                self.assertFalse(feedparser.parse(atom).bozo)
                self.assertEqual(len(ET.fromstring(atom).findall("atom:entry", NS)), 1)

    def test_unknown_slugs_are_404s(self):
        for url in [
            "/category/nope/feed/",
            "/topic/nope/feed/atom/",
            "/author/nope/feed/",
        ]:
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_the_hero_image_is_an_enclosure_and_media_content(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.article.hero_image = upload("harbour.jpg")
            self.article.hero_alt = "Cranes at dawn"
            self.article.save()
        item = ET.fromstring(self.rss()).find("channel/item")
        enclosure = item.find("enclosure")
        self.assertTrue(enclosure.get("url").startswith(f"{SITE}/media/heroes/"))
        self.assertEqual(enclosure.get("type"), "image/jpeg")
        self.assertGreater(int(enclosure.get("length")), 0)
        media = item.find("media:content", NS)
        self.assertEqual((media.get("width"), media.get("height")), ("1600", "900"))
        self.assertEqual(
            media.findtext("media:description", namespaces=NS), "Cranes at dawn"
        )
        content = item.findtext("content:encoded", namespaces=NS)
        self.assertIn('alt="Cranes at dawn"', content)
        self.assertIn(f"{SITE}/media/renditions/", content)  # srcset
        entry = ET.fromstring(self.atom()).find("atom:entry", NS)
        self.assertEqual(
            [
                link.get("type")
                for link in entry.findall("atom:link[@rel='enclosure']", NS)
            ],
            ["image/jpeg"],
        )

    def test_the_feed_runs_the_same_queries_however_many_items(self):
        self.client.get("/feed/")
        with CaptureQueriesContext(connection) as few:
            self.client.get("/feed/")
        for _ in range(6):
            make_brief(
                sections=3, bullets=3, authors=[make_author()], topics=[self.trade]
            )
        with CaptureQueriesContext(connection) as many:
            self.client.get("/feed/")
        self.assertEqual(len(few.captured_queries), len(many.captured_queries))
        self.assertLessEqual(len(many.captured_queries), 6)


@override_settings(SITE_URL=SITE)
class FeedAutodiscoveryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = make_category(name="World", slug="world")
        cls.trade = make_topic(name="Trade", slug="trade")
        cls.ada = make_author(name="Ada Reporter", slug="ada")
        make_article(
            slug="ports", category=cls.world, topics=[cls.trade], authors=[cls.ada]
        )

    def test_every_page_offers_the_site_feeds(self):
        for url in ["/", "/briefs/ports/", "/search/?q=x"]:
            with self.subTest(url=url):
                html = self.client.get(url).content.decode()
                self.assertIn(
                    f'<link rel="alternate" type="application/rss+xml" title="Newsroom (RSS)" href="{SITE}/feed/">',
                    html,
                )
                self.assertIn(
                    f'type="application/atom+xml" title="Newsroom (Atom)" href="{SITE}/feed/atom/"',
                    html,
                )

    def test_category_topic_and_author_pages_offer_their_own_feeds(self):
        for url in ["/category/world/", "/topic/trade/", "/author/ada/"]:
            with self.subTest(url=url):
                html = self.client.get(url).content.decode()
                self.assertIn('type="application/rss+xml" title="', html)
                self.assertIn(f'href="{SITE}{url}feed/"', html)
                self.assertIn(f'href="{SITE}{url}feed/atom/"', html)
