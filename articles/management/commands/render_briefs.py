from django.core.management.base import BaseCommand

from articles import invalidation, rendering


class Command(BaseCommand):
    help = (
        "Render every brief's body, byline and parts again from its rows and store "
        "them (drafts too). Run after deploying a change to the brief's templates "
        "(jinja2/includes/brief_body.html, byline_authors.html) or to rich-text "
        "sanitising, or after loading rows around the models. Idempotent."
    )

    def handle(self, *args, **options):
        count = rendering.store_all()
        # Pages cached, here or in a CDN, show the bodies as rendered before.
        invalidation.every_page_changed()
        self.stdout.write(
            self.style.SUCCESS(f"Rendered {count} brief{'s' if count != 1 else ''}.")
        )
