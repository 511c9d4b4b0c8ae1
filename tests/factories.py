"""Explicit helpers that build test rows. Each takes overrides as kwargs."""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from articles.models import (
    Article,
    Author,
    Bullet,
    Byline,
    Category,
    Section,
    SectionLabel,
    Topic,
)

_seq = itertools.count(1)


def rendered(article_id: int) -> None:
    """Render the brief as its commit would (a TestCase never commits)."""
    from articles import rendering

    rendering.store([article_id])


def make_category(**kwargs) -> Category:
    n = next(_seq)
    kwargs.setdefault("name", f"Category {n}")
    kwargs.setdefault("slug", f"category-{n}")
    return Category.objects.create(**kwargs)


def make_topic(**kwargs) -> Topic:
    n = next(_seq)
    kwargs.setdefault("name", f"Topic {n}")
    kwargs.setdefault("slug", f"topic-{n}")
    return Topic.objects.create(**kwargs)


def make_author(**kwargs) -> Author:
    n = next(_seq)
    kwargs.setdefault("name", f"Reporter {n}")
    kwargs.setdefault("slug", f"reporter-{n}")
    return Author.objects.create(**kwargs)


def label(name: str) -> SectionLabel:
    """A standard label (the migration seeds them), created if missing."""
    obj, _ = SectionLabel.objects.get_or_create(name=name)
    return obj


def make_article(*, authors=(), topics=(), **kwargs) -> Article:
    n = next(_seq)
    kwargs.setdefault("headline", f"Brief number {n} makes the news")
    kwargs.setdefault("slug", f"brief-{n}")
    kwargs.setdefault("dek", f"A short summary of brief {n}.")
    kwargs.setdefault("status", Article.Status.PUBLISHED)
    if kwargs["status"] == Article.Status.PUBLISHED:
        kwargs.setdefault("published_at", timezone.now() - timedelta(minutes=n))
    article = Article.objects.create(**kwargs)
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)
    if topics:
        article.topics.set(topics)
    rendered(article.pk)
    return article


def make_section(article: Article, **kwargs) -> Section:
    kwargs.setdefault("position", article.sections.count())
    section = Section.objects.create(article=article, **kwargs)
    rendered(article.pk)
    return section


def make_bullet(section: Section, text: str, **kwargs) -> Bullet:
    kwargs.setdefault("position", section.bullets.count())
    bullet = Bullet.objects.create(section=section, text=text, **kwargs)
    rendered(section.article_id)
    return bullet


def make_brief(sections: int = 2, bullets: int = 2, **kwargs) -> Article:
    """A published brief with `sections` sections of `bullets` bullets each."""
    article = make_article(**kwargs)
    names = list(SectionLabel.objects.order_by("position"))
    for s in range(sections):
        section = make_section(
            article,
            position=s,
            label=names[s % len(names)] if names else None,
            custom_label="" if names else f"Label {s}",
            text=f"Lead text of section {s}.",
        )
        Bullet.objects.bulk_create(
            Bullet(section=section, position=b, text=f"Bullet {s}.{b} says something.")
            for b in range(bullets)
        )
    rendered(article.pk)
    return article


def make_filed_brief(
    *,
    category: str = "world",
    topic: str = "trade",
    author: str = "ana",
    lead: str = "",
    bullet: str = "A bullet.",
    **kwargs,
) -> Article:
    """A published brief filed under the category, topic and author with these
    slugs (made the first time, named after the slug, shared after), with one
    "Why it matters" section (`lead`) of one bullet: a brief every kind of
    reader page shows."""
    filed = {}
    for model, make, slug in (
        (Category, make_category, category),
        (Topic, make_topic, topic),
        (Author, make_author, author),
    ):
        filed[model] = model.objects.filter(slug=slug).first() or make(
            slug=slug, name=slug.title()
        )
    article = make_article(
        category=filed[Category],
        topics=[filed[Topic]],
        authors=[filed[Author]],
        **kwargs,
    )
    section = make_section(article, label=label("Why it matters"), text=lead)
    make_bullet(section, bullet)
    return article


def make_harbour_brief() -> Article:
    """ "Cranes return to the port" (/briefs/cranes/) in Harbours, Shipping and
    by Ada, its lead "Exports resume.": the brief the page cache tests change."""
    return make_filed_brief(
        headline="Cranes return to the port",
        slug="cranes",
        category="harbours",
        topic="shipping",
        author="ada",
        lead="Exports resume.",
    )


def make_user(username: str, *, staff: bool = False, superuser: bool = False, **kw):
    User = get_user_model()
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password="correct horse battery staple",
        is_staff=staff or superuser,
        is_superuser=superuser,
        **kw,
    )
    return user


def change_form_data(article: Article, **overrides) -> dict:
    """The POST data the admin's change form sends for `article` as stored.

    Nested-admin prefixes: sections-N-…, sections-N-bullets-M-…; the form also
    carries the version it was loaded at (loaded_version).
    """
    article.refresh_from_db()
    data = {
        "headline": article.headline,
        "slug": article.slug,
        "dek": article.dek,
        "intro": article.intro,
        "category": article.category_id or "",
        "topics": [topic.pk for topic in article.topics.all()],
        "status": article.status,
        "published_at_0": (
            timezone.localtime(article.published_at).strftime("%Y-%m-%d")
            if article.published_at
            else ""
        ),
        "published_at_1": (
            timezone.localtime(article.published_at).strftime("%H:%M:%S")
            if article.published_at
            else ""
        ),
        "hero_alt": article.hero_alt,
        "hero_caption": article.hero_caption,
        "hero_credit": article.hero_credit,
        "loaded_version": article.version,
        "bylines-TOTAL_FORMS": "0",
        "bylines-INITIAL_FORMS": "0",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
    }
    bylines = list(article.bylines.all())
    data["bylines-TOTAL_FORMS"] = data["bylines-INITIAL_FORMS"] = str(len(bylines))
    for i, byline in enumerate(bylines):
        data[f"bylines-{i}-id"] = byline.pk
        data[f"bylines-{i}-article"] = article.pk
        data[f"bylines-{i}-author"] = byline.author_id
        data[f"bylines-{i}-position"] = byline.position
    sections = list(article.sections.all())
    data["sections-TOTAL_FORMS"] = data["sections-INITIAL_FORMS"] = str(len(sections))
    for i, section in enumerate(sections):
        prefix = f"sections-{i}"
        bullets = list(section.bullets.all())
        data.update(
            {
                f"{prefix}-id": section.pk,
                f"{prefix}-article": article.pk,
                f"{prefix}-label": section.label_id or "",
                f"{prefix}-custom_label": section.custom_label,
                f"{prefix}-heading": section.heading,
                f"{prefix}-text": section.text,
                f"{prefix}-position": section.position,
                f"{prefix}-bullets-TOTAL_FORMS": str(len(bullets)),
                f"{prefix}-bullets-INITIAL_FORMS": str(len(bullets)),
            }
        )
        if section.numbered:  # a checkbox: absent means off
            data[f"{prefix}-numbered"] = "on"
        for j, bullet in enumerate(bullets):
            data.update(
                {
                    f"{prefix}-bullets-{j}-id": bullet.pk,
                    f"{prefix}-bullets-{j}-section": section.pk,
                    f"{prefix}-bullets-{j}-text": bullet.text,
                    f"{prefix}-bullets-{j}-position": bullet.position,
                }
            )
    data.update(overrides)
    return data


def make_role_user(username: str, role: str, **kwargs):
    """A staff account in one of the editorial groups (Writer, Editor, …)."""
    from django.contrib.auth.models import Group

    user = make_user(username, staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user
