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
    return article


def make_section(article: Article, **kwargs) -> Section:
    kwargs.setdefault("position", article.sections.count())
    return Section.objects.create(article=article, **kwargs)


def make_bullet(section: Section, text: str, **kwargs) -> Bullet:
    kwargs.setdefault("position", section.bullets.count())
    return Bullet.objects.create(section=section, text=text, **kwargs)


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
    return article


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
