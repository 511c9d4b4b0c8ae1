from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from newsroom import pagecache

# Models outside `articles` whose changes show on reader pages.
EXTRA_PAGE_MODELS = {("newsletter", "newsletter")}


def _shows_on_pages(sender) -> bool:
    meta = getattr(sender, "_meta", None)
    if meta is None:
        return False
    return meta.app_label == "articles" or (meta.app_label, meta.model_name) in (
        EXTRA_PAGE_MODELS
    )


def _bump_after_commit():
    pagecache.bump()


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def content_changed(sender, **kwargs):
    """Invalidate cached pages once the change is visible to other requests.

    Bumping before the commit would let a request re-cache the old rows under
    the new version. One admin save touches dozens of rows (sections,
    bullets); they share a single bump.
    """
    if not _shows_on_pages(sender):
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        pagecache.bump()
        return
    if any(func is _bump_after_commit for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_bump_after_commit)


# Reader site: the search index and image renditions follow saves; each
# module connects its own receivers.
from articles import search, tasks  # noqa: E402

search.connect_receivers()
tasks.connect_receivers()
