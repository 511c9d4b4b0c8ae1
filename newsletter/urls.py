from django.urls import path

from newsletter import views

app_name = "newsletter"

# The one-click unsubscribe URL lives at the site root (/u/<token>/,
# newsletter/root_urls.py): List-Unsubscribe headers must stay short.
urlpatterns = [
    path("", views.SignupView.as_view(), name="signup"),
    path("check-your-inbox/", views.CheckInboxView.as_view(), name="check_inbox"),
    path("confirm/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
    path(
        "preferences/<str:token>/",
        views.PreferencesView.as_view(),
        name="preferences",
    ),
    path("archive/", views.ArchiveIndexView.as_view(), name="archive"),
    path("archive/<slug:slug>/", views.ArchiveListView.as_view(), name="archive_list"),
    path(
        "archive/<slug:slug>/<int:pk>/",
        views.ArchiveDetailView.as_view(),
        name="archive_detail",
    ),
]
