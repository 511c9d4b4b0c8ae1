from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Briefs"

    def ready(self):
        from articles import signals  # noqa: F401
        from articles.roles import sync_after_migrate
        from articles.search.sqlite import ensure_after_migrate

        # Roles gain the permissions of models added after their migration.
        post_migrate.connect(sync_after_migrate, dispatch_uid="articles-roles")
        # Altering articles_article on SQLite drops the search index's triggers.
        post_migrate.connect(
            ensure_after_migrate, sender=self, dispatch_uid="articles-search"
        )
