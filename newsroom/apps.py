from django.apps import AppConfig

# Imported as a module so that only our own configs are members of this one:
# Django picks an app's default AppConfig among the classes defined here.
from django.contrib.admin import apps as admin_apps

from newsroom import (
    checks,  # noqa: F401  (registers the checks)
    pagestate,
    purge,
)


class NewsroomConfig(AppConfig):
    """Project-wide pieces: system checks, the admin site, helpers."""

    default = True
    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        # A brief whose scheduled time came is purged from any CDN too.
        pagestate.on_went_live(purge.purge_soon)


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """Installed in place of "django.contrib.admin": the admin with a throttled
    login (newsroom/admin_site.py)."""

    default = False
    default_site = "newsroom.admin_site.NewsroomAdminSite"
