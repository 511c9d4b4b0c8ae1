from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from newsletter.views import OneClickUnsubscribeView

admin.site.site_header = f"{settings.SITE_NAME} editors"
admin.site.site_title = f"{settings.SITE_NAME} admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("_nested_admin/", include("nested_admin.urls")),
    path("newsletter/", include("newsletter.urls")),
    # Short on purpose: it goes in every List-Unsubscribe header.
    path(
        "u/<str:token>/",
        OneClickUnsubscribeView.as_view(),
        name="one_click_unsubscribe",
    ),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
