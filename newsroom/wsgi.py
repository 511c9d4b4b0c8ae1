import os

from django.core.wsgi import get_wsgi_application

from newsroom.pagecache import PageCache

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

application = PageCache(get_wsgi_application())
