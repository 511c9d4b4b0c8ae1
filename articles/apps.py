from django.apps import AppConfig

from articles import jinja_helpers


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Briefs"

    def ready(self):
        # Here, not at the top: the receivers import the models, which are
        # not loaded yet when Django imports this module.
        from articles import signals

        jinja_helpers.register()
        signals.connect(self)
