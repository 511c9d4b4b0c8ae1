"""The parts of a brief edited inside its form: bylines, sections with
their bullets, corrections."""

import nested_admin

from articles.forms import BulletForm, BylineForm, SectionForm
from articles.models import Article, Author, Bullet, Byline, Correction, Section


def only_add_related(formfield, *, add=True) -> None:
    """Drop the change/delete/view icons beside a related select (and add)."""
    widget = formfield.widget
    for name in ("change", "delete", "view"):
        setattr(widget, f"can_{name}_related", False)
    if not add:
        widget.can_add_related = False


class FollowsArticlePermission:
    """An inline is editable only while its brief is editable by this user.

    Writers hold the section and bullet permissions, but a brief they cannot
    change (someone else's, or published) must show its parts read-only.
    """

    def _article_editable(self, request, obj) -> bool:
        article = obj if isinstance(obj, Article) else getattr(obj, "article", None)
        if article is None or article.pk is None:
            return True
        # Once per request and brief: inlines ask for every row they show.
        cache = getattr(request, "_editable_articles", None)
        if cache is None:
            cache = request._editable_articles = {}
        if article.pk not in cache:
            article_admin = self.admin_site._registry[Article]
            cache[article.pk] = article_admin.has_change_permission(request, article)
        return cache[article.pk]

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._article_editable(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._article_editable(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._article_editable(
            request, obj
        )


class BoundedInline:
    """Caps how many inline forms one request may build.

    Django trusts TOTAL_FORMS up to 1,000 forms past max_num; a crafted POST
    asking for thousands of nested sections ties a worker up for a minute.
    A brief never needs more than these.
    """

    max_num = 40

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", self.max_num)
        return super().get_formset(request, obj, **kwargs)


class BulletInline(
    BoundedInline, FollowsArticlePermission, nested_admin.NestedStackedInline
):
    model = Bullet
    form = BulletForm
    fields = ["text", "position"]
    sortable_field_name = "position"
    extra = 0
    min_num = 0
    classes = ["bullets"]
    template = "admin/articles/article/bullet_inline.html"


class SectionInline(
    BoundedInline, FollowsArticlePermission, nested_admin.NestedStackedInline
):
    model = Section
    form = SectionForm
    fields = [("label", "custom_label"), "heading", ("text", "numbered"), "position"]
    sortable_field_name = "position"
    inlines = [BulletInline]
    extra = 0
    classes = ["sections"]
    template = "admin/articles/article/section_inline.html"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "label" and formfield is not None:
            # Labels are managed on their own page; four icons beside every
            # section's select only pushed the heading onto its own line.
            only_add_related(formfield, add=False)
        return formfield


class BylineInline(
    BoundedInline, FollowsArticlePermission, nested_admin.NestedTabularInline
):
    model = Byline
    max_num = 12
    form = BylineForm

    def get_extra(self, request, obj=None, **kwargs):
        # Room for the editor's own byline, proposed on a new brief
        # (ArticleAdmin.get_formset_kwargs); none otherwise.
        new = getattr(obj, "pk", None) is None
        if new and Author.objects.filter(user=request.user).exists():
            return 1
        return 0

    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    sortable_field_name = "position"
    verbose_name = "author"
    verbose_name_plural = "byline (drag to order)"


class CorrectionInline(BoundedInline, nested_admin.NestedStackedInline):
    model = Correction
    fields = ["kind", "text", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    classes = ["corrections"]
    verbose_name = "correction or update"
    verbose_name_plural = "corrections and updates (readers see them at the end)"
