from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"

    def ready(self):
        from anymail.signals import tracking

        from newsletter import checks  # noqa: F401 (registers them)
        from newsletter.webhooks import on_tracking

        # Providers' bounces, complaints and deliveries (newsletter/webhooks.py).
        tracking.connect(on_tracking, dispatch_uid="newsletter.webhooks.on_tracking")
