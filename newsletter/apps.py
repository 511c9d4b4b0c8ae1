from django.apps import AppConfig

from newsletter.templatetags.newsletter_text import thousands
from newsroom import jinja2


class NewsletterConfig(AppConfig):
    name = "newsletter"

    def ready(self):
        jinja2.register(filters={"thousands": thousands})
