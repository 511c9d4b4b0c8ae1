"""What every newsletter admin page of our own shares."""


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
