"""Receivers that keep the reader site current after committed changes.

Cached pages: exactly those showing what changed (articles/invalidation.py).
The search index and image renditions follow saves too; each module
connects its own receivers.
"""

from articles import invalidation, rendering, search, tasks


def content_changed(sender, pk=None, **kwargs):
    """A change made around the signals (update()): tell the page caches."""
    from newsroom import surrogate

    if sender is invalidation.Article and pk is not None:
        invalidation.add_keys(surrogate.brief(pk))
    elif sender in invalidation.THING_KEYS and pk is not None:
        invalidation.add_keys(*invalidation.THING_KEYS[sender](pk))
    else:
        invalidation.add_keys(surrogate.SITE)
    invalidation.after_commit()


# Rendered bodies first, then the index: with autocommit each follow-up runs
# at once, and pages must be told after what they show has caught up.
rendering.connect_receivers()
search.connect_receivers()
invalidation.connect_receivers()
tasks.connect_receivers()
