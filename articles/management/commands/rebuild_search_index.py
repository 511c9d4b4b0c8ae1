from django.core.management.base import BaseCommand

from articles import invalidation, search


class Command(BaseCommand):
    help = (
        "Rebuild every brief's search document and the index over it (PostgreSQL's "
        "weighted vectors, or SQLite's FTS5 table, remade if SEARCH_LANGUAGE "
        "changed). Run after changing SEARCH_LANGUAGE or loading sections or "
        "bullets around the ORM's signals."
    )

    def handle(self, *args, **options):
        count = search.rebuild_index()
        # Search pages cached before were made with the old index, and rows
        # loaded in bulk reached no page.
        invalidation.every_page_changed()
        self.stdout.write(f"Indexed {count} brief{'s' if count != 1 else ''}.")
