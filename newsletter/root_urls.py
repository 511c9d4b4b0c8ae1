"""The newsletter's address at the site root, outside its /newsletter/
namespace (newsroom/urls.py mounts it at /u/): List-Unsubscribe headers
must stay short."""

from django.urls import path

from newsletter import views

urlpatterns = [
    path(
        "<str:token>/",
        views.OneClickUnsubscribeView.as_view(),
        name="one_click_unsubscribe",
    ),
]
