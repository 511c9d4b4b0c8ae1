import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

from django.test import TestCase, override_settings
from django.utils import timezone

from tests.factories import label, make_article, make_bullet, make_section, make_topic
from tests.helpers import SITE, MediaRootMixin, on_the_site, world_trade_ada
from tests.imagefiles import upload


class HeadParser(HTMLParser):
    """Collects <meta>, <link> and JSON-LD blocks as a browser would see them."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict] = []
        self.json_ld: list[dict] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(json.loads(data))


def head_of(response) -> HeadParser:
    assert response.status_code == 200, response.status_code
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def canonical(parser) -> list[str]:
    return [link["href"] for link in parser.links if link.get("rel") == "canonical"]


@on_the_site()
class ArticleSeoTests(MediaRootMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world, trade, cls.ada = world_trade_ada(ada={"title": "Europe editor"})
        cls.article = make_article(
            headline="Two capitals </script> tighten ties",
            slug="two-capitals",
            dek="A call between ministers marks a shift.",
            category=cls.world,
            topics=[make_topic(name="Diplomacy"), trade],
            authors=[cls.ada],
        )
        section = make_section(cls.article, label=label("Why it matters"))
        make_bullet(section, "It reshapes alliances.")

    def add_hero(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.article.hero_image = upload("summit.jpg")
            self.article.hero_alt = "Ministers shake hands"
            self.article.save()

    def news_article(self, parser) -> dict:
        (data,) = [d for d in parser.json_ld if d["@type"] == "NewsArticle"]
        return data

    def test_json_ld_news_article_parses_and_has_the_fields(self):
        self.add_hero()
        head = head_of(
            self.client.get("/briefs/two-capitals/", HTTP_HOST="evil.example")
        )
        data = self.news_article(head)
        url = f"{SITE}/briefs/two-capitals/"
        self.assertEqual(data["@context"], "https://schema.org")
        self.assertEqual(data["headline"], "Two capitals </script> tighten ties")
        self.assertEqual(data["description"], "A call between ministers marks a shift.")
        self.assertEqual(data["mainEntityOfPage"], {"@type": "WebPage", "@id": url})
        self.assertEqual(data["articleSection"], "World")
        self.assertEqual(data["keywords"], ["Diplomacy", "Trade"])
        published = datetime.fromisoformat(data["datePublished"])
        modified = datetime.fromisoformat(data["dateModified"])
        self.assertEqual(published, self.article.published_at)
        self.assertGreaterEqual(modified, published)
        self.assertEqual(
            data["author"],
            [
                {
                    "@type": "Person",
                    "name": "Ada Reporter",
                    "url": f"{SITE}/author/ada/",
                    "jobTitle": "Europe editor",
                }
            ],
        )
        publisher = data["publisher"]
        self.assertEqual(publisher["name"], "Newsroom")
        self.assertTrue(publisher["logo"]["url"].startswith(f"{SITE}/static/img/logo"))
        (image,) = data["image"]
        self.assertTrue(image["url"].startswith(f"{SITE}/media/renditions/"))
        self.assertEqual((image["width"], image["height"]), (1200, 675))

    def test_the_headline_cannot_close_the_json_ld_script(self):
        html = self.client.get("/briefs/two-capitals/").content.decode()
        for block in re.findall(
            r'<script type="application/ld\+json">(.*?)</script>', html, re.S
        ):
            self.assertNotIn("<", block)
            json.loads(block)

    def test_breadcrumbs_lead_home_category_brief(self):
        head = head_of(self.client.get("/briefs/two-capitals/"))
        (crumbs,) = [d for d in head.json_ld if d["@type"] == "BreadcrumbList"]
        self.assertEqual(
            [(i["position"], i["name"], i["item"]) for i in crumbs["itemListElement"]],
            [
                (1, "Home", f"{SITE}/"),
                (2, "World", f"{SITE}/category/world/"),
                (
                    3,
                    "Two capitals </script> tighten ties",
                    f"{SITE}/briefs/two-capitals/",
                ),
            ],
        )

    def test_sharing_tags_use_the_dek_and_the_hero_rendition(self):
        self.add_hero()
        head = head_of(self.client.get("/briefs/two-capitals/?utm_source=x"))
        meta = head.meta
        self.assertEqual(canonical(head), [f"{SITE}/briefs/two-capitals/"])
        self.assertEqual(
            meta["description"], ["A call between ministers marks a shift."]
        )
        self.assertEqual(meta["og:type"], ["article"])
        self.assertEqual(meta["og:url"], [f"{SITE}/briefs/two-capitals/"])
        self.assertEqual(meta["og:description"], meta["description"])
        self.assertRegex(
            meta["og:image"][0], rf"^{SITE}/media/renditions/.+-1200\.jpg$"
        )
        self.assertEqual(
            (meta["og:image:width"], meta["og:image:height"]), (["1200"], ["675"])
        )
        self.assertEqual(meta["og:image:alt"], ["Ministers shake hands"])
        self.assertEqual(meta["twitter:card"], ["summary_large_image"])
        self.assertEqual(meta["twitter:image"], meta["og:image"])
        self.assertEqual(meta["article:section"], ["World"])
        self.assertEqual(meta["article:tag"], ["Diplomacy", "Trade"])
        self.assertEqual(meta["article:author"], [f"{SITE}/author/ada/"])

    def test_without_a_hero_the_card_is_small_and_json_ld_uses_the_logo(self):
        head = head_of(self.client.get("/briefs/two-capitals/"))
        self.assertEqual(head.meta["twitter:card"], ["summary"])
        self.assertEqual(head.meta["og:image:alt"], ["Newsroom logo"])
        (image,) = self.news_article(head)["image"]
        self.assertTrue(image["url"].startswith(f"{SITE}/static/img/logo"))

    def test_a_brief_without_a_byline_credits_the_publication(self):
        make_article(slug="unsigned")
        data = self.news_article(head_of(self.client.get("/briefs/unsigned/")))
        self.assertEqual(data["author"][0]["@type"], "NewsMediaOrganization")
        self.assertEqual(data["author"][0]["name"], "Newsroom")


@override_settings(SITE_URL=SITE, ARTICLES_PER_PAGE=2)
class ListingSeoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world, cls.trade, cls.ada = world_trade_ada(
            world={"description": "The world."},
            ada={"name": "Ada", "bio": "Covers Europe."},
        )
        for n in range(5):
            make_article(
                category=cls.world,
                topics=[cls.trade],
                authors=[cls.ada],
                published_at=timezone.now() - timedelta(hours=n + 1),
            )

    def test_page_one_is_canonical_without_a_page_number(self):
        for path in ["/", "/category/world/", "/topic/trade/", "/author/ada/"]:
            with self.subTest(path=path):
                first = head_of(self.client.get(path + "?page=1&utm_medium=mail"))
                self.assertEqual(canonical(first), [f"{SITE}{path}"])
                rels = {link["rel"]: link["href"] for link in first.links}
                self.assertEqual(rels["next"], f"{SITE}{path}?page=2")
                self.assertNotIn("prev", rels)

    def test_later_pages_are_their_own_canonical_with_prev_and_next(self):
        head = head_of(self.client.get("/category/world/?page=2"))
        self.assertEqual(canonical(head), [f"{SITE}/category/world/?page=2"])
        rels = {link["rel"]: link["href"] for link in head.links}
        self.assertEqual(rels["prev"], f"{SITE}/category/world/")
        self.assertEqual(rels["next"], f"{SITE}/category/world/?page=3")

    def test_the_pagination_links_match(self):
        html = self.client.get("/category/world/?page=2").content.decode()
        self.assertIn('<a rel="prev" href="/category/world/">', html)
        self.assertIn('<a rel="next" href="/category/world/?page=3">', html)

    def test_list_pages_have_breadcrumbs_and_the_home_page_a_search_action(self):
        head = head_of(self.client.get("/topic/trade/"))
        (crumbs,) = [d for d in head.json_ld if d["@type"] == "BreadcrumbList"]
        self.assertEqual(
            [i["name"] for i in crumbs["itemListElement"]], ["Home", "Trade"]
        )
        home = head_of(self.client.get("/"))
        (site,) = [d for d in home.json_ld if d["@type"] == "WebSite"]
        self.assertEqual(
            site["potentialAction"]["target"]["urlTemplate"],
            f"{SITE}/search/?q={{search_term_string}}",
        )

    def test_the_author_page_describes_a_person(self):
        head = head_of(self.client.get("/author/ada/"))
        (profile,) = [d for d in head.json_ld if d["@type"] == "ProfilePage"]
        self.assertEqual(profile["mainEntity"]["name"], "Ada")
        self.assertEqual(profile["mainEntity"]["url"], f"{SITE}/author/ada/")
        self.assertEqual(head.meta["og:type"], ["profile"])
        self.assertEqual(head.meta["description"], ["Covers Europe."])

    def test_every_sharing_image_has_alt_text_and_the_page_a_locale(self):
        with self.settings(LANGUAGE_CODE="en-gb"):
            for path in ["/", "/category/world/", "/topic/trade/", "/author/ada/"]:
                with self.subTest(path=path):
                    head = head_of(self.client.get(path))
                    self.assertEqual(len(head.meta["og:image"]), 1)
                    self.assertEqual(head.meta["og:image:alt"], ["Newsroom logo"])
                    self.assertEqual(head.meta["twitter:image:alt"], ["Newsroom logo"])
                    self.assertEqual(head.meta["og:locale"], ["en_GB"])

    def test_search_pages_are_not_indexed(self):
        head = head_of(self.client.get("/search/?q=brief"))
        self.assertEqual(head.meta["robots"], ["noindex, follow"])
