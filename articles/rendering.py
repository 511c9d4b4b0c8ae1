"""A brief's body, rendered once per change instead of on every request.

What readers see of a brief beyond its own columns (intro, sections with
their labels, headings, lead text and bullets, corrections, topics, the
authors' byline) is rendered from its rows and stored on the brief when a
change commits, sanitised once:

- ``body_html``: the page's ``brief__body`` and the corrections after it
  (jinja2/includes/brief_body.html), which feeds carry as they are;
- ``byline_html``: the authors' links (jinja2/includes/byline_authors.html),
  which cards and search results show too;
- ``body_parts``: the same facts as data for the readers that lay a brief out
  their own way: minutes to read, authors and topics (the page's topic
  links, meta tags, feeds, related briefs) and the sanitised sections
  (newsletter editions);
- ``page_html``: the article page's whole main column (breadcrumb, header,
  byline, hero picture, the body, topics: jinja2/includes/brief_page.html)
  and ``head_html`` its metadata (jinja2/includes/seo_meta.html), built from
  the above and the brief's own columns;
- ``card_html`` and ``lead_card_html``: what the brief's card on a list says
  (kicker, title, dek, byline: jinja2/includes/cards.html), as any card and
  as the home page's first;
- ``rendered_with``: the fingerprint() of what else went into them.

The article page then reads a handful of columns of one row, lists read their
cards with their rows, and feeds, previews and editions show the very same
rendering.

A change to the brief, a section, a bullet, a byline, a correction or its
topics renders it after the commit, once per transaction, beside the search
document and with its retries (articles/followups.py). A rename of something
many briefs show (an author, a topic, a section label) renders those briefs
again in a background task, so the editor's save returns at once. A change to
the category's name renders its briefs again the same way, and so does a hero
picture's new renditions (articles/tasks.py).

The stored page also depends on settings (the site's address and name) and
on the templates and code that render it: fingerprint() sums them up. A
brief stored under another fingerprint (a deploy changed a template, the
site moved) is rendered again when a page, preview, list, feed, search
result or edition shows it (current()); ``manage.py render_briefs`` renders
every brief again at once.
"""

import functools
import hashlib
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.tasks import task
from django.template.loader import get_template
from markupsafe import Markup

from articles import brevity, followups, images, invalidation, seo
from articles.links import static_url
from articles.models import (
    Article,
    Author,
    Bullet,
    Byline,
    Category,
    Correction,
    Section,
    SectionLabel,
    Topic,
)
from newsroom import jinja2 as environment
from newsroom import richtext, surrogate
from newsroom.richtext import sanitize

ENGINE = "jinja2"

# What the stored page and head are made of besides the brief's rows.
TEMPLATES = (
    "includes/brief_page.html",
    "includes/card_body.html",
    "includes/brief_body.html",
    "includes/byline.html",
    "includes/byline_authors.html",
    "includes/cards.html",
    "includes/picture.html",
    "includes/seo_meta.html",
)
SETTINGS = (
    "SITE_URL",
    "SITE_NAME",
    "SITE_LANGUAGE",
    "SITE_LOGO",
    "SITE_TWITTER",
    "LANGUAGE_CODE",
    "TIME_ZONE",
    "STATIC_URL",
    "MEDIA_URL",
)
CODE = (brevity, images, seo, environment, richtext)


@functools.cache
def fingerprint() -> str:
    """A digest of the settings, templates and code the stored page and head
    are rendered with: when it differs from a brief's ``rendered_with``, that
    brief's page is out of date."""
    digest = hashlib.blake2b(digest_size=8)
    for name in SETTINGS:
        digest.update(repr(getattr(settings, name, None)).encode())
    # Hashed in production: a new logo file is a new address.
    digest.update(static_url(settings.SITE_LOGO).encode())
    for name in TEMPLATES:
        digest.update(Path(get_template(name, using=ENGINE).origin.name).read_bytes())
    for module in (*CODE, sys.modules[__name__]):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


@receiver(setting_changed)
def _settings_changed(**kwargs):
    fingerprint.cache_clear()


@dataclass(frozen=True)
class Rendered:
    body_html: str
    byline_html: str
    body_parts: dict
    page_html: str
    head_html: str
    card_html: str
    lead_card_html: str
    rendered_with: str


def with_parts(queryset):
    """`queryset` with everything render() reads, in four more queries."""
    return queryset.prefetch_related(
        "topics",
        "corrections",
        Prefetch("bylines", queryset=Byline.objects.select_related("author")),
        Prefetch(
            "sections",
            queryset=Section.objects.select_related("label").prefetch_related(
                "bullets"
            ),
        ),
    )


def render(
    article: Article, *, sections=None, authors=None, topics=None, corrections=None
) -> Rendered:
    """The brief as readers see it, from `article` and its parts.

    The parts default to the brief's related rows (prefetch them:
    with_parts()); pass them to render objects that are not saved, as a list
    of (section, bullets) pairs, authors, topics and corrections.
    """
    if sections is None:
        sections = [(s, list(s.bullets.all())) for s in article.sections.all()]
    if authors is None:
        authors = [byline.author for byline in article.bylines.all()]
    if topics is None:
        topics = list(article.topics.all())
    if corrections is None:
        corrections = list(article.corrections.all())

    shown = [
        {
            "id": section.pk,
            "label": section.display_label,
            "heading": section.heading,
            "lead": sanitize(section.text, "inline"),
            "bullets": [sanitize(bullet.text, "inline") for bullet in bullets],
            "numbered": section.numbered,
        }
        for section, bullets in sections
    ]
    structure = brevity.structure_of(article, sections)
    parts = {
        "minutes": brevity.reading_minutes(brevity.total_words(structure)),
        "authors": [
            {"id": a.pk, "name": a.name, "url": a.get_absolute_url(), "title": a.title}
            for a in authors
        ],
        "topics": [
            {"id": t.pk, "name": t.name, "url": t.get_absolute_url()} for t in topics
        ],
        "sections": shown,
    }
    body = get_template("includes/brief_body.html", using=ENGINE).render(
        {
            "intro": Markup(sanitize(article.intro, "block")),
            "sections": [_markup(section) for section in shown],
            "corrections": corrections,
        }
    )
    byline = get_template("includes/byline_authors.html", using=ENGINE).render(
        {"authors": parts["authors"]}
    )
    # The page and its metadata read the brief as rendered, as readers get it.
    article.body_html, article.byline_html = body.strip(), byline.strip()
    article.body_parts = parts
    page = get_template("includes/brief_page.html", using=ENGINE).render(
        {"article": article}
    )
    head = get_template("includes/seo_meta.html", using=ENGINE).render(
        {"meta": seo.article_meta(article), "SITE_NAME": settings.SITE_NAME}
    )
    card = get_template("includes/card_body.html", using=ENGINE)
    return Rendered(
        article.body_html,
        article.byline_html,
        parts,
        page.strip(),
        head.strip(),
        card.render({"article": article, "lead": False}).strip(),
        card.render({"article": article, "lead": True}).strip(),
        fingerprint(),
    )


def _markup(section: dict) -> dict:
    # Sanitised above: marked safe so the template prints them as HTML.
    return {
        **section,
        "lead": Markup(section["lead"]),
        "bullets": [Markup(bullet) for bullet in section["bullets"]],
    }


def store(article_ids) -> int:
    """Render and store the briefs with these ids; returns how many."""
    count = 0
    # Not the columns about to be replaced: the stored HTML is most of a row.
    replaced = [field.name for field in fields(Rendered)]
    briefs = (
        Article.objects.for_page().defer(*replaced).filter(pk__in=list(article_ids))
    )
    for article in with_parts(briefs):
        # update(): no signal, and the brief's version and updated_at stay.
        Article.objects.filter(pk=article.pk).update(**asdict(render(article)))
        count += 1
    return count


followups.register("render", store)


def current(articles, queryset) -> list:
    """`articles`, any stored under another fingerprint (a deploy changed a
    template, the site moved, a brief stored before these columns) rendered
    again and read back through `queryset`, as the next readers will see it:
    no page, preview or list shows HTML rendered by other templates or
    settings (see fingerprint())."""
    articles, now = list(articles), fingerprint()
    stale = [article.pk for article in articles if article.rendered_with != now]
    if not stale:
        return articles
    store(stale)
    fresh = queryset.in_bulk(stale)
    return [fresh.get(article.pk, article) for article in articles]


def store_all(batch: int = 200) -> int:
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    return sum(store(ids[i : i + batch]) for i in range(0, len(ids), batch))


@task()
def render_briefs(article_ids: list[int], keys: list[str] | None = None) -> int:
    """Render again the briefs a rename touched (a background task).

    update() sends no signal, so the pages showing what was re-rendered are
    told here: `keys`, the keys of the pages that show the renamed thing, or
    else the briefs' own keys.
    """
    count = store(article_ids)
    invalidation.add_keys(*(keys or (surrogate.brief(pk) for pk in article_ids)))
    invalidation.after_commit()
    return count


# Keeping it current ------------------------------------------------------


def schedule(article_id: int | None) -> None:
    """Render after the commit; many saves in one transaction render once."""
    if article_id is not None:
        followups.render_after_commit(article_id)


def _article_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw:
        schedule(instance.pk)


def _part_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        schedule(invalidation.brief_of(instance))


def _topics_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not reverse:
        if action.startswith("post_"):
            schedule(instance.pk)
    elif action in ("post_add", "post_remove"):
        for pk in pk_set or ():
            schedule(pk)
    elif action == "pre_clear":
        # After the clear, which briefs had the topic is no longer known.
        for pk in instance.articles.values_list("pk", flat=True):
            schedule(pk)


# What each shared model shows on a brief, and how to find its briefs.
SHARED = {
    Category: ("category", ("name", "slug")),
    Author: ("bylines__author", ("name", "slug", "title")),
    Topic: ("topics", ("name", "slug")),
    SectionLabel: ("sections__label", ("name",)),
}


def _affected(model, pk) -> list[int]:
    lookup, _ = SHARED[model]
    return list(
        Article.objects.filter(**{lookup: pk}).values_list("pk", flat=True).distinct()
    )


def _shown_keys(model, pk, article_ids) -> list[str]:
    """The pages that show `model` `pk` as the briefs render it: its own key
    (whole briefs naming a topic, the labels of every whole brief, the briefs
    of a category with its name as their kicker), and for an author the
    briefs themselves, whose teasers carry the rendered byline."""
    keys = set(invalidation.THING_KEYS[model](pk))
    if model is Author:
        keys.update(surrogate.brief(article) for article in article_ids)
    return sorted(keys)


def _later(model, pk, article_ids: list[int]) -> None:
    """Enqueue a render of `article_ids` once the transaction commits."""
    if article_ids:
        ids, keys = sorted(set(article_ids)), _shown_keys(model, pk, article_ids)
        transaction.on_commit(lambda: render_briefs.enqueue(ids, keys), robust=True)


def _shared_saving(sender, instance, raw=False, **kwargs):
    """Before a rename: remember whether a shown field changes."""
    if raw or instance.pk is None:
        return
    _, fields = SHARED[sender]
    stored = sender.objects.filter(pk=instance.pk).values(*fields).first()
    instance._renders_briefs = stored is not None and any(
        stored[field] != getattr(instance, field) for field in fields
    )


def _shared_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and not created and getattr(instance, "_renders_briefs", False):
        _later(sender, instance.pk, _affected(sender, instance.pk))


def _shared_deleting(sender, instance, **kwargs):
    # After the delete the links are gone (a topic's through rows and a
    # label's SET_NULL send no signal): find the briefs now.
    _later(sender, instance.pk, _affected(sender, instance.pk))


def connect_receivers() -> None:
    from django.db.models.signals import pre_save

    post_save.connect(_article_saved, sender=Article, dispatch_uid="rendering")
    for model in (Section, Bullet, Byline, Correction):
        for signal in (post_save, post_delete):
            signal.connect(_part_changed, sender=model, dispatch_uid="rendering")
    through = Article.topics.through
    m2m_changed.connect(_topics_changed, sender=through, dispatch_uid="rendering")
    for model in SHARED:
        pre_save.connect(_shared_saving, sender=model, dispatch_uid="rendering")
        post_save.connect(_shared_saved, sender=model, dispatch_uid="rendering")
        pre_delete.connect(_shared_deleting, sender=model, dispatch_uid="rendering")
