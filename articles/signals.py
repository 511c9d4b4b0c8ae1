from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from articles import followups

# Models outside `articles` whose changes show on reader pages.
EXTRA_PAGE_MODELS = {("newsletter", "newsletter")}


def _shows_on_pages(sender) -> bool:
    meta = getattr(sender, "_meta", None)
    if meta is None:
        return False
    return meta.app_label == "articles" or (meta.app_label, meta.model_name) in (
        EXTRA_PAGE_MODELS
    )


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def content_changed(sender, **kwargs):
    """Invalidate cached pages once the change is visible to other requests.

    Bumping before the commit would let a request re-cache the old rows under
    the new version. One admin save touches dozens of rows (sections,
    bullets); they share a single bump (articles/followups.py).
    """
    if _shows_on_pages(sender):
        followups.bump_after_commit()


# Reader site: rendered bodies, the search index and image renditions
# follow saves; each module connects its own receivers.
from articles import rendering, search, tasks  # noqa: E402

rendering.connect_receivers()
search.connect_receivers()
tasks.connect_receivers()
