import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

from newsroom.pagecache import PageCache

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_app = get_wsgi_application()

# Answered before the page cache and Django's middleware, wrapped innermost
# first: the apps name them in settings.WSGI_FAST_PATHS (the newsletter's
# click redirects and open pixels), so this project module imports no app.
application = PageCache(django_app)
for path in settings.WSGI_FAST_PATHS:
    application = import_string(path)(application)
