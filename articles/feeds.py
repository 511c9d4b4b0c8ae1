"""RSS 2.0 and Atom feeds: the whole site, and each category, topic and author.

Each item carries the full brief (the hero image, the dek, then the body as
rendered on save for every reader: intro, labelled sections and their
bullets, corrections; articles/rendering.py) as HTML — RSS in content:encoded, Atom in <content> — with
the dek as the summary, every author, the topics as categories and the hero
image as an enclosure and a Media RSS element.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape

from articles import rendering
from articles.images import current_renditions
from articles.listings import Listing
from articles.models import Article
from newsroom import surrogate
from newsroom.links import absolute_url, site_origin


class ContentRssFeed(Rss201rev2Feed):
    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
            "xmlns:dc": "http://purl.org/dc/elements/1.1/",
            "xmlns:media": "http://search.yahoo.com/mrss/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["creators"]:
            handler.addQuickElement("dc:creator", name)
        handler.addQuickElement("content:encoded", item["content_html"])
        if image := item["image"]:
            attrs = {"url": image["url"], "medium": "image"}
            if image.get("type"):
                attrs["type"] = image["type"]
            if image.get("width"):
                attrs["width"] = str(image["width"])
                attrs["height"] = str(image["height"])
            handler.startElement("media:content", attrs)
            if image.get("alt"):
                handler.addQuickElement("media:description", image["alt"])
            handler.endElement("media:content")


class ContentAtomFeed(Atom1Feed):
    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, url in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", url)
            handler.endElement("author")
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


class BriefsFeed(Feed):
    """The latest published briefs of the whole site, in RSS or in Atom."""

    rss_name = "articles:feed"
    atom_name = "articles:feed-atom"

    def __init__(self, *, atom: bool = False):
        super().__init__()
        self.feed_type = ContentAtomFeed if atom else ContentRssFeed

    @property
    def language(self):
        return settings.SITE_LANGUAGE

    def title(self, obj=None):
        return settings.SITE_NAME

    def subtitle(self, obj=None):
        return "The latest briefs."

    def description(self, obj=None):
        return self.subtitle(obj)

    def link(self, obj=None):
        return absolute_url(obj.get_absolute_url() if obj else reverse("articles:home"))

    def feed_url(self, obj=None):
        name = self.atom_name if self.feed_type is ContentAtomFeed else self.rss_name
        kwargs = {"slug": obj.slug} if obj is not None else {}
        return absolute_url(reverse(name, kwargs=kwargs))

    def feed_guid(self, obj=None):
        return self.feed_url(obj)

    def author_name(self, obj=None):
        # Atom needs an author on the feed when an entry has none.
        return settings.SITE_NAME

    def author_link(self, obj=None):
        return site_origin() + "/"

    def feed_copyright(self, obj=None):
        return f"© {settings.SITE_NAME}"

    def get_queryset(self, obj):
        return Article.objects.published()

    def items(self, obj=None):
        items = rendering.current(
            self.get_queryset(obj).for_page()[: settings.FEED_ITEMS],
            Article.objects.for_page(),
        )
        surrogate.add(*self.surrogate_keys(obj))
        surrogate.add_whole_briefs(items)
        return items

    def surrogate_keys(self, obj) -> set[str]:
        """The keys of the list this feed is (newsroom/surrogate.py)."""
        return {surrogate.FEED}

    def item_title(self, item):
        return item.headline

    def item_description(self, item):
        # The summary is HTML in both formats: escape the plain-text dek.
        return escape(item.dek)

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_guid(self, item):
        # Stable across slug changes, so readers never see a brief twice.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{item.created_at:%Y-%m-%d}:brief:{item.pk}"

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return max(item.updated_at, item.published_at)

    def item_categories(self, item):
        names = [item.category.name] if item.category else []
        return names + [topic["name"] for topic in item.body_parts.get("topics", [])]

    def item_enclosures(self, item):
        image = self._image(item)
        if image and image.get("bytes"):
            return [Enclosure(image["url"], str(image["bytes"]), image["type"])]
        return []

    def _image(self, item) -> dict | None:
        if not item.hero_image:
            return None
        renditions = item.hero_renditions or {}
        known = renditions.get("source") == item.hero_image.name
        return {
            "url": absolute_url(item.hero_image.url),
            "width": item.hero_width,
            "height": item.hero_height,
            "alt": item.hero_alt,
            "type": renditions.get("type", "") if known else "",
            "bytes": renditions.get("bytes") if known else None,
        }

    def item_extra_kwargs(self, item):
        image = self._image(item)
        items = current_renditions(item.hero_image, item.hero_renditions)
        content = render_to_string(
            "articles/feed_item.html",
            {
                "article": item,
                "image": image,
                "image_srcset": ", ".join(
                    f"{absolute_url(default_storage.url(i['name']))} {i['width']}w"
                    for i in items
                    if i["type"] != "image/webp"
                ),
                "SITE_URL": site_origin(),
                "SITE_NAME": settings.SITE_NAME,
            },
        )
        authors = item.body_parts.get("authors", [])
        return {
            "content_html": content,
            "image": image,
            "creators": [author["name"] for author in authors],
            "authors": [(a["name"], absolute_url(a["url"])) for a in authors],
        }


class ListingFeed(BriefsFeed):
    """The latest briefs of one category, topic or author."""

    def __init__(self, listing: Listing, *, atom: bool = False):
        super().__init__(atom=atom)
        self.listing = listing
        self.rss_name = f"articles:{listing.kind}-feed"
        self.atom_name = f"articles:{listing.kind}-feed-atom"

    def get_object(self, request, slug):
        return self.listing.get(slug)

    def title(self, obj):
        return f"{obj.name} · {settings.SITE_NAME}"

    def subtitle(self, obj):
        return (
            self.listing.feed_text(obj)
            or f"The latest briefs {self.listing.preposition} {obj.name}."
        )

    def get_queryset(self, obj):
        return self.listing.briefs(Article.objects.published(), obj)

    def surrogate_keys(self, obj):
        return self.listing.surrogate_keys(obj.pk)
