from anymail.signals import tracking
from django.apps import AppConfig

from newsletter.templatetags.newsletter_text import thousands
from newsroom import jinja2


class NewsletterConfig(AppConfig):
    name = "newsletter"

    def ready(self):
        jinja2.register(filters={"thousands": thousands})

        # Not at the top: these modules import models, which are not loaded
        # yet when Django imports this module.
        from newsletter import checks  # noqa: F401 (registers them)
        from newsletter.webhooks import on_tracking

        # Providers' bounces, complaints and deliveries (newsletter/webhooks.py).
        tracking.connect(on_tracking, dispatch_uid="newsletter.webhooks.on_tracking")
