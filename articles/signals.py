"""How the reader site follows committed changes, connected when the app is
ready (articles/apps.py).

Cached pages: exactly those showing what changed (articles/invalidation.py).
Rendered bodies, the search index and image renditions follow saves too;
each module connects its own receivers. newsroom/ (below the apps, which it
never imports) is told here what only this app knows: when a scheduled
brief goes live, and which addresses a surrogate key stands for.
"""

from django.db.models.signals import post_migrate

from articles import addresses, invalidation, rendering, search, tasks
from articles.roles import sync_after_migrate
from articles.search.sqlite import ensure_after_migrate
from newsroom import pagestate
from newsroom.purge import urls as purge_urls


def connect(app_config) -> None:
    # Rendered bodies first, then the index: with autocommit each follow-up
    # runs at once, and pages must be told after what they show has caught up.
    rendering.connect_receivers()
    search.connect_receivers()
    invalidation.connect_receivers()
    tasks.connect_receivers()
    pagestate.register_schedule(
        next_publication=invalidation.next_scheduled_publication,
        went_live=invalidation.went_live,
    )
    purge_urls.register_paths(addresses.paths_of)
    # Roles gain the permissions of models added after their migration.
    post_migrate.connect(sync_after_migrate, dispatch_uid="articles-roles")
    # Altering articles_article on SQLite drops the search index's triggers.
    post_migrate.connect(
        ensure_after_migrate, sender=app_config, dispatch_uid="articles-search"
    )
