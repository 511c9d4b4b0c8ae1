from django.urls import path
from django.views.generic import TemplateView

app_name = "newsletter"

urlpatterns = [
    # The signup form and the subscriber pages arrive with the newsletter models.
    path(
        "",
        TemplateView.as_view(template_name="newsletter/signup.html"),
        name="signup",
    ),
]
