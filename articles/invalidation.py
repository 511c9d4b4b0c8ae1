"""Which cached pages a committed change makes stale: those showing it, exactly.

A brief's *footprint* is what readers see of it: nothing while it is a draft,
in review, unpublished or scheduled for later; once public, its own key and
the lists it is on (home, feed, its category, topics and authors, its
archive days, search, sitemaps; newsroom/surrogate.py names them). The first
time a transaction touches a brief (the brief, a section, bullet, byline,
correction or topic link), its footprint is read as it was; after the commit
it is read again, and the keys that differ are invalidated:

- neither side public (a draft save, an unpublished brief edited): nothing;
- otherwise the brief's own pages (its key, search, sitemaps), plus every
  list it joined or left, or every list of both sides if its publication
  time (its place in them) changed.

Rows readers never see (revisions, preview links, old addresses) change
nothing. A rename changes the pages showing the thing renamed: its key.
A brief scheduled for later is public only when its time comes; then
`went_live` gives its keys (newsroom/pagestate.py calls it, with no cron).

After the commit the keys go to the page caches here (`tell_page_caches`,
the "page_cache" follow-up of articles/followups.py) and to any CDN.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)
from django.utils import timezone

from articles import followups
from articles.models import (
    Article,
    Author,
    Bullet,
    Byline,
    Category,
    Correction,
    PreviewLink,
    Revision,
    Section,
    SectionLabel,
    SlugRedirect,
    Topic,
)
from newsroom import pagecache, pagestate, purge, surrogate


@dataclass(frozen=True)
class Footprint:
    published_at: datetime | None = None
    lists: frozenset[str] = frozenset()

    @property
    def public(self) -> bool:
        return self.published_at is not None


HIDDEN = Footprint()

# Per thread: what the open transaction touched.
_state = threading.local()


def _pending() -> tuple[dict[int, Footprint], set[str]]:
    if not hasattr(_state, "before"):
        _state.before, _state.keys = {}, set()
    return _state.before, _state.keys


def footprint(pk: int, now: datetime | None = None) -> Footprint:
    """What readers see of brief `pk` now, from the database."""
    row = (
        Article.objects.published(at=now)
        .filter(pk=pk)
        .values_list("published_at", "category_id")
        .first()
    )
    if row is None:
        return HIDDEN
    published_at, category_id = row
    return Footprint(published_at, frozenset(_lists(pk, published_at, category_id)))


def _lists(pk, published_at, category_id) -> set[str]:
    lists = {surrogate.HOME, surrogate.FEED, *surrogate.date_lists(published_at)}
    if category_id:
        lists.add(surrogate.category_list(category_id))
    through = Article.topics.through.objects.filter(article_id=pk)
    lists.update(map(surrogate.topic_list, through.values_list("topic_id", flat=True)))
    bylines = Byline.objects.filter(article_id=pk)
    lists.update(
        map(surrogate.author_list, bylines.values_list("author_id", flat=True))
    )
    return lists


def changed_keys(pk: int, before: Footprint, after: Footprint) -> set[str]:
    if not (before.public or after.public):
        return set()
    keys = {surrogate.brief(pk), surrogate.SEARCH, surrogate.SITEMAP}
    if before.published_at != after.published_at:
        keys |= before.lists | after.lists
    else:
        keys |= before.lists ^ after.lists
    return keys


def next_scheduled_publication() -> float:
    """Epoch time of the earliest brief scheduled for the future, or inf."""
    upcoming = (
        Article.objects.filter(
            status=Article.Status.PUBLISHED, published_at__gt=timezone.now()
        )
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return upcoming.timestamp() if upcoming else float("inf")


def went_live(since: float, until: float) -> set[str]:
    """Keys of the briefs whose scheduled time fell in (since, until]."""
    start = datetime.fromtimestamp(since, tz=UTC)
    end = datetime.fromtimestamp(until, tz=UTC)
    due = Article.objects.filter(
        status=Article.Status.PUBLISHED, published_at__gt=start, published_at__lte=end
    ).values_list("pk", "published_at", "category_id")
    keys = set()
    for pk, published_at, category_id in due:
        after = Footprint(
            published_at, frozenset(_lists(pk, published_at, category_id))
        )
        keys |= changed_keys(pk, HIDDEN, after)
    return keys


# Collecting during the transaction --------------------------------------


def touch_brief(pk: int | None) -> None:
    """Remember how brief `pk` looks to readers before this transaction changes it."""
    if pk is None:
        return
    before, _ = _pending()
    if pk not in before:
        before[pk] = footprint(pk)


def add_keys(*keys: str) -> None:
    _pending()[1].update(keys)


def after_commit() -> None:
    followups.invalidate_after_commit()


def content_changed(sender, pk=None, **kwargs):
    """A change made around the signals (update()): tell the page caches."""
    if sender is Article and pk is not None:
        add_keys(surrogate.brief(pk))
    elif sender in THING_KEYS and pk is not None:
        add_keys(*THING_KEYS[sender](pk))
    else:
        add_keys(surrogate.SITE)
    after_commit()


def every_page_changed() -> None:
    """Every public page, here and in any CDN, once the transaction commits:
    for work that rewrote rows in bulk (a re-render, a new search index)."""
    content_changed(sender=None)


def collect() -> set[str]:
    """The keys this thread's committed changes invalidate; resets the record.

    Reads each touched brief as it now is (after the commit).
    """
    before, keys = _pending()
    _state.before, _state.keys = {}, set()
    keys = set(keys)
    scheduled = False
    for pk, old in before.items():
        new = footprint(pk)
        keys |= changed_keys(pk, old, new)
        scheduled = scheduled or _scheduled(pk)
    if scheduled:
        keys.add(SCHEDULE)
    return keys


# Not a page: tells the follow-up to move the next scheduled time.
SCHEDULE = "schedule"


def tell_page_caches(keys=None) -> None:
    """Mark the pages showing `keys` stale, here and in any CDN; a scheduled
    brief moves the time the page state expires (newsroom/pagestate.py)."""
    keys = set(keys) if keys is not None else {surrogate.SEARCH}
    if SCHEDULE in keys:
        keys.discard(SCHEDULE)
        version = pagestate.reschedule()
        if version is not None:
            purge.check_schedule_at(version.valid_until)
    if keys:
        pagecache.invalidate(keys)
        purge.purge_soon(keys)


followups.register("page_cache", tell_page_caches)
followups.register_changed_keys(collect)


def _scheduled(pk) -> bool:
    return Article.objects.filter(
        pk=pk, status=Article.Status.PUBLISHED, published_at__gt=timezone.now()
    ).exists()


# Receivers ---------------------------------------------------------------

# Rows readers never see.
PRIVATE = (Revision, PreviewLink, SlugRedirect)
# What a change of one of these things (not a brief) shows on.
THING_KEYS = {
    Category: lambda pk: {surrogate.category(pk), surrogate.NAV},
    Topic: lambda pk: {surrogate.topic(pk)},
    Author: lambda pk: {surrogate.author(pk)},
    SectionLabel: lambda pk: {surrogate.LABELS},
}
# Lists that vanish with the thing.
DELETED_KEYS = {
    Category: surrogate.category_list,
    Topic: surrogate.topic_list,
    Author: surrogate.author_list,
}


def brief_of(instance) -> int | None:
    """The brief a brief or one of its parts belongs to (None for anything else).

    Rendering and the search index use it too (their receivers).
    """
    if isinstance(instance, Article):
        return instance.pk
    if isinstance(instance, Section | Byline | Correction):
        return instance.article_id
    if isinstance(instance, Bullet):
        if Bullet.section.is_cached(instance):
            return instance.section.article_id
        return (
            Section.objects.filter(pk=instance.section_id)
            .values_list("article_id", flat=True)
            .first()
        )
    return None


BRIEF_PARTS = (Article, Section, Bullet, Byline, Correction)


def _before_change(sender, instance, raw=False, **kwargs):
    if raw or not isinstance(instance, BRIEF_PARTS):
        return
    touch_brief(brief_of(instance))


def _after_change(sender, instance, raw=False, created=False, **kwargs):
    if raw or isinstance(instance, PRIVATE):
        return
    if isinstance(instance, BRIEF_PARTS):
        pk = brief_of(instance)
        if pk is None:
            return
        before, _ = _pending()
        if created and isinstance(instance, Article):
            # A new brief (no pk before its save) was hidden until now.
            before.setdefault(pk, HIDDEN)
        elif pk not in before:
            # Read before the change, and already handled by the search
            # index's follow-up (in autocommit they run at once).
            return
    elif type(instance) in THING_KEYS:
        add_keys(*THING_KEYS[type(instance)](instance.pk))
        if kwargs.get("signal") is post_delete and type(instance) in DELETED_KEYS:
            add_keys(DELETED_KEYS[type(instance)](instance.pk))
    else:
        # Something of the reader site nobody mapped: every page, to be safe.
        add_keys(surrogate.SITE)
    after_commit()


def _topics_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if reverse:
        # topic.articles.add(...): the briefs are in pk_set (or all of them).
        ids = pk_set
        if ids is None:
            ids = Article.topics.through.objects.filter(
                topic_id=instance.pk
            ).values_list("article_id", flat=True)
    else:
        ids = [instance.pk]
    if action.startswith("pre_"):
        for pk in ids:
            touch_brief(pk)
    elif action.startswith("post_") and _pending()[0]:
        after_commit()


def _is_articles_model(sender) -> bool:
    # Not the historical models migrations use (their module is "__fake__").
    return getattr(sender, "__module__", "").startswith("articles.")


def _pre(sender, **kwargs):
    if _is_articles_model(sender):
        _before_change(sender, **kwargs)


def _post(sender, **kwargs):
    if _is_articles_model(sender):
        _after_change(sender, **kwargs)


def connect_receivers() -> None:
    for signal in (pre_save, pre_delete):
        signal.connect(_pre, dispatch_uid="invalidation")
    for signal in (post_save, post_delete):
        signal.connect(_post, dispatch_uid="invalidation")
    m2m_changed.connect(
        _topics_changed, sender=Article.topics.through, dispatch_uid="invalidation"
    )
