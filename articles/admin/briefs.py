"""The brief list and form: desk filters, workflow actions, permissions."""

import json
from datetime import timedelta

import nested_admin
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from articles import brevity, rendering, revisions, workflow
from articles.admin.brief_screens import BriefScreens
from articles.admin.inlines import (
    BylineInline,
    CorrectionInline,
    SectionInline,
    only_add_related,
)
from articles.forms import ArticleAdminForm, keep_vanished_rows
from articles.models import Article, Author, SlugRedirect
from articles.safety import PublishedBriefDeletionGuard


def _short_date(value) -> str:
    """ "3 Dec, 06:35" this year, "3 Dec 2025" before; "–" for none."""
    if value is None:
        return "–"
    value = timezone.localtime(value)
    if value.year == timezone.localtime().year:
        return date_format(value, "j M, H:i")
    return date_format(value, "j M Y")


class DeskFilter(admin.SimpleListFilter):
    """The desk's views of the list; the admin home's panels link to them."""

    title = "desk"
    parameter_name = "desk"

    def lookups(self, request, model_admin):
        return [
            ("review", "In review"),
            ("scheduled", "Scheduled"),
            ("mine", "My drafts"),
            ("corrected", "Corrected this week"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "review":
                return queryset.filter(status=Article.Status.REVIEW)
            case "scheduled":
                return queryset.filter(
                    status=Article.Status.PUBLISHED, published_at__gt=timezone.now()
                )
            case "mine":
                return queryset.filter(
                    status=Article.Status.DRAFT, created_by=request.user
                )
            case "corrected":
                week_ago = timezone.now() - timedelta(days=7)
                return queryset.filter(corrections__created_at__gte=week_ago).distinct()
        return queryset


@admin.register(Article)
class ArticleAdmin(
    BriefScreens, PublishedBriefDeletionGuard, nested_admin.NestedModelAdmin
):
    form = ArticleAdminForm
    list_display = [
        "brief",
        "state",
        "published",
        "updated",
    ]
    list_filter = [DeskFilter, "status", "category", "authors"]
    list_select_related = ["category"]
    search_fields = ["headline", "dek", "slug"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["category", "topics"]
    inlines = [BylineInline, SectionInline, CorrectionInline]
    actions = ["submit_for_review", "publish_now", "unpublish", "back_to_draft"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "intro", "loaded_version"]}),
        (
            "Filing",
            {
                "fields": [
                    ("category", "topics"),
                    ("status", "published_at"),
                ]
            },
        ),
        (
            "Hero image",
            {
                "fields": ["hero_image", "hero_alt", "hero_caption", "hero_credit"],
                "classes": ["collapse"],
            },
        ),
    ]

    class Media:
        css = {"all": ["articles/admin/editor.css"]}
        js = [
            "articles/admin/brevity.js",
            "articles/admin/nesting.js",
            "articles/admin/editor.js",
        ]

    # Permissions -------------------------------------------------------

    def _limited_to_own(self, request) -> bool:
        user = request.user
        return user.has_perm("articles.change_article") and not workflow.can_edit_any(
            user
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("bylines__author")
        if self._limited_to_own(request):
            queryset = workflow.own_briefs(queryset, request.user)
        return queryset

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or workflow.can_edit_any(request.user):
            return True
        # Writers: their own briefs, until an editor publishes them.
        return obj.status in (
            Article.Status.DRAFT,
            Article.Status.REVIEW,
        ) and workflow.owns(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or workflow.can_edit_any(request.user):
            return True
        return obj.status == Article.Status.DRAFT and workflow.owns(request.user, obj)

    def has_publish_permission(self, request):
        return workflow.can_publish(request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not workflow.can_publish(request.user):
            fields.append("published_at")
        return fields

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.is_published else None

    # The form ----------------------------------------------------------

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "category" and formfield is not None:
            # Beside the topics on one line: "add" is the icon used there.
            only_add_related(formfield)
        return formfield

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, BylineInline) and getattr(obj, "pk", None) is None:
            # The form shows the byline it will save, so the editor can
            # remove it (a desk editor writing for someone else) before saving.
            author = Author.objects.filter(user=request.user).first()
            if author is not None:
                kwargs["initial"] = [{"author": author.pk}]
        return kwargs

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        action = form.workflow_action
        note = action.label if action else ("Created" if not change else "Saved")
        revisions.record(article, user=request.user, note=note)
        if action is not None:
            messages.info(
                request, f"“{article}” is now {workflow.state_label(article).lower()}."
            )
        if article.status == Article.Status.PUBLISHED and not article.bylines.exists():
            # A warning, not a refusal: agency copy and house editorials may
            # go out unsigned, but usually the byline was forgotten.
            messages.warning(
                request,
                f"“{article}” is published with no byline: "
                "add its author under “Byline”.",
            )
        self.warn_about_brevity(request, article)

    def warn_about_brevity(self, request, article):
        loaded = rendering.with_parts(Article.objects).get(pk=article.pk)
        for advice in brevity.analyse(brevity.structure_of(loaded)).warnings:
            messages.warning(request, f"Style: {advice.message}")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id:
            request.POST = keep_vanished_rows(request.POST, unquote(object_id))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        article = obj if obj is not None else Article()
        # Sections and bullets in a fixed number of queries, at any length.
        measured = (
            rendering.with_parts(Article.objects).get(pk=obj.pk) if obj else article
        )
        report = brevity.analyse(brevity.structure_of(measured))
        context.update(
            {
                # Nobody writes briefs in a batch; one button fewer lets the
                # actions sit on one line.
                "show_save_and_add_another": False,
                "brevity_limits": json.dumps(brevity.limits()),
                "brevity_report": report,
                "workflow_actions": (
                    workflow.available_actions(request.user, article)
                    if self.has_change_permission(request, obj) or add
                    else []
                ),
                "state_label": workflow.state_label(article) if obj else "",
                "conflict": getattr(context["adminform"].form, "conflict", None),
                "preview_url": (
                    reverse("admin:articles_article_preview", args=[obj.pk])
                    if obj
                    else reverse("admin:articles_article_preview_add")
                ),
            }
        )
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    # List ----------------------------------------------------------------

    @admin.display(description="State", ordering="status")
    def state(self, obj):
        # A dot says at a glance whether readers can see it (green) or when
        # they will (scheduled); the words say which state exactly.
        if workflow.is_scheduled(obj):
            kind, text = "scheduled", "Scheduled"
        else:
            kind, text = obj.status, obj.get_status_display()
        if obj.is_published:
            kind = "live"
        return format_html(
            '<span class="brief-state brief-state--{}" title="{}">{}</span>',
            kind,
            workflow.state_label(obj),
            text,
        )

    @admin.display(description="Headline", ordering="headline")
    def brief(self, obj):
        names = ", ".join(author.name for author in obj.byline_authors)
        filing = " · ".join(filter(None, [obj.category and obj.category.name, names]))
        if not filing:
            return obj.headline
        return format_html(
            '{}<span class="brief-list__byline">{}</span>', obj.headline, filing
        )

    # Short dates leave the headline room to read as a line, not a column of
    # single words, with the sidebar and the filters open at 1280 px.
    @admin.display(description="Publication", ordering="published_at")
    def published(self, obj):
        return _short_date(obj.published_at)

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj):
        return _short_date(obj.updated_at)

    def _transition(self, request, queryset, action, *, publish_now=False):
        done = skipped = 0
        unsigned = []
        with transaction.atomic():
            # Lock the rows themselves: the list's queryset joins categories,
            # and PostgreSQL cannot lock the nullable side of an outer join.
            locked = Article.objects.select_for_update().filter(
                pk__in=list(queryset.values_list("pk", flat=True))
            )
            for article in locked:
                allowed = self.has_change_permission(request, article) and (
                    article.status in action.sources
                    or (publish_now and workflow.is_scheduled(article))
                )
                if not allowed:
                    skipped += 1
                    continue
                workflow.apply(article, action)
                if publish_now and article.published_at > timezone.now():
                    article.published_at = timezone.now()
                article.save()
                revisions.record(article, user=request.user, note=action.label)
                done += 1
                if publish_now and not article.bylines.exists():
                    unsigned.append(article.headline)
        if done:
            self.message_user(
                request, f"{action.label}: {done} brief(s).", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} brief(s) left as they were: “{action.label}” does not "
                "apply to their state, or you may not change them.",
                messages.WARNING,
            )
        if unsigned:
            self.message_user(
                request,
                "Published with no byline: "
                + ", ".join(f"“{headline}”" for headline in unsigned)
                + ". Add their authors.",
                messages.WARNING,
            )

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._transition(request, queryset, workflow.ACTIONS["submit"])

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset):
        self._transition(
            request, queryset, workflow.ACTIONS["publish"], publish_now=True
        )

    @admin.action(description="Unpublish", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._transition(request, queryset, workflow.ACTIONS["unpublish"])

    @admin.action(description="Move back to draft", permissions=["change"])
    def back_to_draft(self, request, queryset):
        self._transition(request, queryset, workflow.ACTIONS["to_draft"])


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__headline"]
    list_select_related = ["article"]
    raw_id_fields = ["article"]
