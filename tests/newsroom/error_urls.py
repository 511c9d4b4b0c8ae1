"""The site's URLconf plus views that fail, for the error-page tests."""

from django.urls import path

from newsroom.urls import urlpatterns as site_patterns

SECRET_DETAIL = "db-password-is-hunter2"


def boom(request):
    local_secret = SECRET_DETAIL  # noqa: F841 (a debug page would show it)
    raise RuntimeError(f"failed while holding {SECRET_DETAIL}")


urlpatterns = [path("boom/", boom), *site_patterns]
