from django.core.cache import cache

from articles.http import content_version
from articles.models import Category

# Kept at most this long even if nothing changes (seconds).
CACHE_SECONDS = 24 * 3600


def navigation(request):
    """The categories every page shows, kept off the query budget.

    Remembered under the content version, read before the query: a category
    change bumps the version once it has committed, so a render that read the
    old rows meanwhile stored them under a version no longer asked for.
    """
    key = f"articles:nav:{content_version().stamp}"
    categories = cache.get(key)
    if categories is None:
        categories = [(c.name, c.get_absolute_url()) for c in Category.objects.all()]
        cache.set(key, categories, CACHE_SECONDS)
    return {"nav_categories": categories}
