from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"

    def ready(self):
        # Providers' bounces, complaints and deliveries (newsletter/webhooks.py).
        from anymail.signals import tracking

        from newsletter.webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="newsletter.webhooks.on_tracking")
