"""What every admin page of our own shares (the briefs' and the newsletter's)."""

from django.urls import path


class AdminPageMixin:
    """For a ModelAdmin's extra views (import, activity, send, erase): the
    context the admin's base template needs, so each page keeps the sidebar,
    breadcrumbs and permissions of the model it belongs to."""

    def page_context(self, request, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    def admin_urls(self, *routes) -> list:
        """(route, view, name) as admin URLs, behind the admin's login and
        named as Django names its own: admin:<app>_<model>_<name>."""
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        return [path(route, view(fn), name=prefix + name) for route, fn, name in routes]
