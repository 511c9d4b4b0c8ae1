import os

from django.core.wsgi import get_wsgi_application

from newsroom.pagecache import PageCache

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_app = get_wsgi_application()

# After Django is set up: newsletter click redirects and open pixels are
# answered before the page cache and Django's middleware
# (newsletter/views_tracking.py).
from newsletter.views_tracking import TrackingFastPath  # noqa: E402

application = TrackingFastPath(PageCache(django_app))
