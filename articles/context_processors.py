from django.core.cache import cache

from articles.models import Category
from articles.signals import NAV_CACHE_KEY


def navigation(request):
    # Every reader page shows the categories; keep that off the query budget.
    categories = cache.get(NAV_CACHE_KEY)
    if categories is None:
        categories = [(c.name, c.get_absolute_url()) for c in Category.objects.all()]
        cache.set(NAV_CACHE_KEY, categories, None)
    return {"nav_categories": categories}
