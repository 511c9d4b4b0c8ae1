"""The newsletter's addresses at the site root, outside its /newsletter/
namespace (newsroom/urls.py mounts them at /): they go in every edition, so
they stay short — /u/ in each List-Unsubscribe header, /c/ for each tracked
link, /o/ for the open pixel (newsletter/tracking.py)."""

from django.urls import path

from newsletter import views, views_tracking

urlpatterns = [
    path(
        "u/<str:token>/",
        views.OneClickUnsubscribeView.as_view(),
        name="one_click_unsubscribe",
    ),
    path("c/<str:token>", views_tracking.click, name="newsletter_click"),
    path("o/<str:token>", views_tracking.pixel, name="newsletter_open"),
]
