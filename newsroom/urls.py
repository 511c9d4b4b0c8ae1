from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import Http404
from django.urls import include, path
from django.views.static import serve

admin.site.site_header = f"{settings.SITE_NAME} editors"
admin.site.site_title = f"{settings.SITE_NAME} admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("_nested_admin/", include("nested_admin.urls")),
    path("newsletter/", include("newsletter.urls")),
    # Providers' tracking webhooks: bounces, complaints, deliveries.
    path("anymail/", include("newsletter.webhooks")),
    # Short on purpose: /u/, /c/ and /o/ go in every edition.
    path("", include("newsletter.root_urls")),
    path("", include("articles.urls")),
]


def media_file(request, path):
    """Uploads in development; in production the web server serves them."""
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except OSError:
        # serve() passes the file system's refusals on (a name too long for
        # it): for whoever asked, there is no such file.
        raise Http404("No such file.") from None


if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, view=media_file)
