"""Admin guard: a published brief is unpublished, never deleted.

Readers, search engines and sent newsletters link to published briefs; deleting
one breaks those links silently and loses the record of what was published.
Editors unpublish instead (the "Unpublish" action or the status field) and may
delete the brief afterwards if they really mean to.

"Published" here is the status, scheduled briefs included: a brief set to go
out later may already be in a newsletter edition.

Use it first in the bases so it wraps the model admin's own rules:

    class ArticleAdmin(PublishedBriefDeletionGuard, nested_admin.NestedModelAdmin):
"""

import dataclasses

from django.contrib import messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from articles.models import Article

ONE = (
    "“{headline}” is published, so it cannot be deleted. Unpublish it first "
    "(set its status to Unpublished, or use the “Unpublish” action); it can be "
    "deleted after that."
)
MANY = (
    "Nothing was deleted: {count} of the selected briefs are published "
    "({headlines}). Unpublish them first with the “Unpublish” action, then delete."
)


def _headlines(articles, limit=5) -> str:
    names = [f"“{a.headline}”" for a in articles[:limit]]
    if len(articles) > limit:
        names.append(f"and {len(articles) - limit} more")
    return ", ".join(names)


class PublishedBriefDeletionGuard:
    """ModelAdmin mixin for Article."""

    @staticmethod
    def is_protected(article) -> bool:
        return article.status == Article.Status.PUBLISHED

    def has_delete_permission(self, request, obj=None):
        # Hides the Delete button on a published brief's change form.
        if obj is not None and self.is_protected(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        # Someone following an old link or a bookmark gets the reason and the
        # way out, not a bare 403.
        article = self.get_object(request, unquote(object_id))
        if article is not None and self.is_protected(article):
            self.message_user(
                request, ONE.format(headline=article.headline), messages.ERROR
            )
            opts = self.model._meta
            return redirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[article.pk],
                    current_app=self.admin_site.name,
                )
            )
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        # Last line of defence: published between the confirmation and the POST.
        if self.is_protected(obj):
            raise PermissionDenied(ONE.format(headline=obj.headline))
        super().delete_model(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if "delete_selected" in actions:
            actions["delete_selected"] = dataclasses.replace(
                actions["delete_selected"], func=guarded_delete_selected
            )
        return actions

    def delete_queryset(self, request, queryset):
        # Published after the confirmation page was shown: delete none (and
        # do not let the action report a success).
        protected = list(queryset.filter(status=Article.Status.PUBLISHED))
        if protected:
            raise PermissionDenied(
                MANY.format(count=len(protected), headlines=_headlines(protected))
            )
        super().delete_queryset(request, queryset)


def guarded_delete_selected(modeladmin, request, queryset):
    """Django's "Delete selected" action, refusing while any brief is published."""
    protected = list(queryset.filter(status=Article.Status.PUBLISHED))
    if protected:
        modeladmin.message_user(
            request,
            MANY.format(count=len(protected), headlines=_headlines(protected)),
            messages.ERROR,
        )
        return None  # back to the list, nothing deleted
    return delete_selected(modeladmin, request, queryset)


guarded_delete_selected.allowed_permissions = ("delete",)
