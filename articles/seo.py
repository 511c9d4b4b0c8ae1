"""What machines read about a page: canonical URL, sharing cards, JSON-LD.

Views build a PageMeta; jinja2/includes/seo_meta.html renders it. Every
URL here is absolute and made from settings.SITE_URL, never from the
request's Host header, which a client controls.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import to_locale

from articles.images import current_renditions
from articles.links import static_url, url
from newsroom.links import absolute_url, site_origin

LOGO_SIZE = 512  # static/img/logo.png is square
SOCIAL_IMAGE_WIDTH = 1200


def logo() -> dict:
    return {
        "url": absolute_url(static_url(settings.SITE_LOGO)),
        "width": LOGO_SIZE,
        "height": LOGO_SIZE,
    }


def logo_alt() -> str:
    # Sharing cards read this aloud for the fallback image as for a photo.
    return f"{settings.SITE_NAME} logo"


def image_for_sharing(fieldfile, renditions, width, height) -> dict | None:
    """The picture sharing cards show: a ~1200px wide copy in a common format.

    Falls back to the original until renditions exist; None without an image.
    """
    if not fieldfile:
        return None
    candidates = [
        item
        for item in current_renditions(fieldfile, renditions)
        if item["type"] != "image/webp"
    ]
    wide_enough = [c for c in candidates if c["width"] >= SOCIAL_IMAGE_WIDTH]
    if wide_enough:
        best = min(wide_enough, key=lambda c: c["width"])
        return {
            "url": absolute_url(default_storage.url(best["name"])),
            "width": best["width"],
            "height": best["height"],
            "type": best["type"],
        }
    return {
        "url": absolute_url(fieldfile.url),
        "width": width,
        "height": height,
        "type": (renditions or {}).get("type", ""),
    }


@dataclass
class PageMeta:
    title: str
    description: str
    canonical: str
    type: str = "website"
    image: dict | None = None
    image_alt: str = ""
    # Extra OpenGraph properties, e.g. ("article:tag", "Trade").
    properties: list[tuple[str, str]] = field(default_factory=list)
    json_ld: list[dict] = field(default_factory=list)
    # (title, RSS URL, Atom URL) offered to feed readers on this page.
    feeds: list[tuple[str, str, str]] = field(default_factory=list)
    prev_url: str = ""
    next_url: str = ""
    noindex: bool = False
    # A photo gets the large sharing card; the logo a small one.
    large_card: bool = False

    @property
    def card(self) -> str:
        return "summary_large_image" if self.large_card else "summary"

    @property
    def twitter_site(self) -> str:
        return settings.SITE_TWITTER

    @property
    def locale(self) -> str:
        """OpenGraph's form of the site language: en-us -> en_US."""
        return to_locale(settings.LANGUAGE_CODE)


def page_url(path: str, page_number: int | None = None, **params) -> str:
    """Absolute URL of `path`; page 1 has no ?page so it is one canonical URL."""
    query = {k: v for k, v in params.items() if v}
    if page_number and page_number > 1:
        query["page"] = page_number
    url = absolute_url(path)
    return f"{url}?{urlencode(query)}" if query else url


def feeds_for(title: str, rss_name: str, atom_name: str, **kwargs):
    return (
        title,
        absolute_url(url(rss_name, **kwargs)),
        absolute_url(url(atom_name, **kwargs)),
    )


def listing_meta(
    *,
    title: str,
    description: str,
    path: str,
    page_obj=None,
    feeds=(),
    breadcrumbs=(),
    params=None,
    noindex=False,
) -> PageMeta:
    """Meta for a paginated list: canonical, prev/next and breadcrumbs."""
    params = params or {}
    number = page_obj.number if page_obj is not None else None
    meta = PageMeta(
        title=title,
        description=description,
        canonical=page_url(path, number, **params),
        image=logo(),
        image_alt=logo_alt(),
        feeds=list(feeds),
        noindex=noindex,
    )
    if page_obj is not None and page_obj.has_previous():
        meta.prev_url = page_url(path, page_obj.previous_page_number(), **params)
    if page_obj is not None and page_obj.has_next():
        meta.next_url = page_url(path, page_obj.next_page_number(), **params)
    if breadcrumbs:
        meta.json_ld.append(breadcrumb_list(breadcrumbs))
    return meta


def breadcrumb_list(crumbs) -> dict:
    """schema.org BreadcrumbList from (name, absolute URL) pairs."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": url}
            for n, (name, url) in enumerate(crumbs, start=1)
        ],
    }


def publisher() -> dict:
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.SITE_NAME,
        "url": site_origin() + "/",
        "logo": {"@type": "ImageObject", **logo()},
    }


def website() -> dict:
    """schema.org WebSite with the search box search engines may show."""
    search_url = absolute_url(url("articles:search"))
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": settings.SITE_NAME,
        "url": site_origin() + "/",
        "publisher": publisher(),
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": f"{search_url}?q={{search_term_string}}",
            },
            "query-input": "required name=search_term_string",
        },
    }


def profile_page(author) -> dict:
    person = {
        "@type": "Person",
        "name": author.name,
        "url": absolute_url(author.get_absolute_url()),
    }
    if author.title:
        person["jobTitle"] = author.title
    if author.bio:
        person["description"] = author.bio
    if author.photo:
        person["image"] = absolute_url(author.photo.url)
    return {
        "@context": "https://schema.org",
        "@type": "ProfilePage",
        "mainEntity": person,
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def article_breadcrumbs(article) -> list[tuple[str, str]]:
    crumbs = [("Home", absolute_url(url("articles:home")))]
    if article.category:
        crumbs.append(
            (article.category.name, absolute_url(article.category.get_absolute_url()))
        )
    crumbs.append((article.headline, absolute_url(article.get_absolute_url())))
    return crumbs


def news_article(article, image: dict | None) -> dict:
    """schema.org NewsArticle for Google News and other readers of JSON-LD."""
    url = absolute_url(article.get_absolute_url())
    authors = [
        {
            "@type": "Person",
            "name": author["name"],
            "url": absolute_url(author["url"]),
            **({"jobTitle": author["title"]} if author["title"] else {}),
        }
        for author in article.body_parts.get("authors", [])
    ]
    picture = image or logo()
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.headline,
        "description": article.dek,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": _iso(article.published_at),
        "dateModified": _iso(
            max(filter(None, [article.updated_at, article.published_at]), default=None)
        ),
        # Without a byline the publication is the author, as Google expects.
        "author": authors or [publisher()],
        "publisher": publisher(),
        "image": [
            {
                "@type": "ImageObject",
                "url": picture["url"],
                "width": picture["width"],
                "height": picture["height"],
            }
        ],
        "inLanguage": settings.SITE_LANGUAGE,
        "isAccessibleForFree": True,
    }
    if article.category:
        data["articleSection"] = article.category.name
    topics = [topic["name"] for topic in article.body_parts.get("topics", [])]
    if topics:
        data["keywords"] = topics
    return data


def article_meta(article) -> PageMeta:
    """Everything the article page tells machines; reads the rendered parts."""
    image = image_for_sharing(
        article.hero_image,
        article.hero_renditions,
        article.hero_width,
        article.hero_height,
    )
    meta = PageMeta(
        title=article.headline,
        description=article.dek,
        canonical=absolute_url(article.get_absolute_url()),
        type="article",
        image=image or logo(),
        image_alt=article.hero_alt if image else logo_alt(),
        large_card=image is not None,
    )
    meta.properties.append(("article:published_time", _iso(article.published_at)))
    meta.properties.append(("article:modified_time", _iso(article.updated_at)))
    if article.category:
        meta.properties.append(("article:section", article.category.name))
    for topic in article.body_parts.get("topics", []):
        meta.properties.append(("article:tag", topic["name"]))
    for author in article.body_parts.get("authors", []):
        meta.properties.append(("article:author", absolute_url(author["url"])))
    meta.json_ld = [
        news_article(article, image),
        breadcrumb_list(article_breadcrumbs(article)),
    ]
    if article.category:
        meta.feeds.append(
            feeds_for(
                f"{article.category.name} · {settings.SITE_NAME}",
                "articles:category-feed",
                "articles:category-feed-atom",
                slug=article.category.slug,
            )
        )
    return meta


# The escapes Django's json_script uses: the JSON cannot close the <script>.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data: dict) -> SafeString:
    """A <script type="application/ld+json"> block: data, so CSP allows it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(
        '<script type="application/ld+json">'
        + text.translate(_JSON_ESCAPES)
        + "</script>"
    )
