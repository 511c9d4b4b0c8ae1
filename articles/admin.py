import json
from datetime import timedelta

import nested_admin
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from articles import brevity, preview, rendering, revisions, services, workflow
from articles.forms import (
    ArticleAdminForm,
    BulletForm,
    BylineForm,
    ImportBriefForm,
    SectionForm,
    keep_vanished_rows,
)
from articles.models import (
    Article,
    Author,
    Bullet,
    Byline,
    Category,
    Correction,
    PreviewLink,
    Revision,
    Section,
    SectionLabel,
    SlugRedirect,
    Topic,
)
from articles.safety import PublishedBriefDeletionGuard


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
class ArticleAdmin(PublishedBriefDeletionGuard, nested_admin.NestedModelAdmin):
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

    # Extra screens -----------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "articles_article_"
        return [
            path("import/", view(self.import_view), name=f"{name}import"),
            path(
                "add/preview/",
                view(self.preview_view),
                name=f"{name}preview_add",
            ),
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name=f"{name}preview",
            ),
            path(
                "<path:object_id>/revisions/",
                view(self.revisions_view),
                name=f"{name}revisions",
            ),
            path(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                view(self.restore_view),
                name=f"{name}restore",
            ),
            path(
                "<path:object_id>/share/",
                view(self.share_view),
                name=f"{name}share",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
            **extra,
        }

    def _article_or_404(self, request, object_id) -> Article:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No brief with that id, or not one you may see.")
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def import_view(self, request):
        """“New brief from text”: paste, review the parsed draft, save it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportBriefForm(request.POST or None)
        parsed = report = None
        if request.method == "POST" and form.is_valid():
            parsed = form.parsed
            if "_create" in request.POST:
                article = services.create_brief_from_parsed(parsed, user=request.user)
                author = Author.objects.filter(user=request.user).first()
                if author is not None:
                    Byline.objects.create(article=article, author=author)
                messages.success(
                    request,
                    f"Draft “{article}” created from the pasted text. "
                    "Check it, then save or submit it.",
                )
                self.warn_about_brevity(request, article)
                return HttpResponseRedirect(
                    reverse("admin:articles_article_change", args=[article.pk])
                )
            report = brevity.analyse(brevity.structure_of_parsed(parsed))
        known = services.section_labels()
        sections = [
            (section, brevity.label_key(section.label or "") in known)
            for section in (parsed.sections if parsed else [])
        ]
        context = self._context(
            request,
            "New brief from text",
            form=form,
            parsed=parsed,
            sections=sections,
            report=report,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/articles/article/import.html", context)

    def preview_view(self, request, object_id=None):
        """The brief as readers will see it: stored (GET) or unsaved (POST)."""
        article = self._article_or_404(request, object_id) if object_id else None
        if request.method != "POST":
            if article is None:
                return HttpResponseRedirect(reverse("admin:articles_article_add"))
            return preview.render_stored(request, article)
        allowed = (
            self.has_change_permission(request, article)
            if article is not None
            else self.has_add_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        if article is not None:
            request.POST = keep_vanished_rows(request.POST, article.pk)
        return preview.render_unsaved(self, request, article)

    def revisions_view(self, request, object_id):
        article = self._article_or_404(request, object_id)
        history = list(article.revisions.select_related("created_by"))
        by_id = {str(rev.pk): rev for rev in history}
        newer = by_id.get(request.GET.get("b")) or (history[0] if history else None)
        older = by_id.get(request.GET.get("a")) or (
            history[1] if len(history) > 1 else newer
        )
        if older and newer and older.created_at > newer.created_at:
            older, newer = newer, older
        rows = (
            revisions.compare(older.snapshot, newer.snapshot) if older and newer else []
        )
        context = self._context(
            request,
            f"Revisions of “{article}”",
            original=article,
            history=history,
            older=older,
            newer=newer,
            rows=rows,
            can_restore=self.has_change_permission(request, article),
        )
        return TemplateResponse(
            request, "admin/articles/article/revisions.html", context
        )

    def restore_view(self, request, object_id, revision_id):
        article = self._article_or_404(request, object_id)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        if request.method == "POST":
            new = revisions.restore(revision, user=request.user)
            messages.success(
                request,
                f"Restored version {revision.article_version}; "
                f"saved as version {new.article_version}.",
            )
            return HttpResponseRedirect(
                reverse("admin:articles_article_change", args=[article.pk])
            )
        rows = revisions.compare(revisions.snapshot(article), revision.snapshot)
        context = self._context(
            request,
            f"Restore version {revision.article_version} of “{article}”?",
            original=article,
            revision=revision,
            rows=rows,
        )
        return TemplateResponse(
            request, "admin/articles/article/restore_confirm.html", context
        )

    def share_view(self, request, object_id):
        """Secret preview links: create one to share a draft, revoke it later."""
        article = self._article_or_404(request, object_id)
        if not (
            request.user.has_perm("articles.add_previewlink")
            and self.has_change_permission(request, article)
        ):
            raise PermissionDenied
        if request.method == "POST":
            if "_create" in request.POST:
                PreviewLink.objects.create(article=article, created_by=request.user)
                messages.success(request, "New preview link created.")
            elif revoke := request.POST.get("_revoke"):
                count = PreviewLink.objects.filter(
                    article=article, pk=revoke if revoke.isdigit() else None
                ).update(revoked_at=timezone.now())
                if count:
                    messages.success(request, "Link revoked: it shows nothing now.")
            return HttpResponseRedirect(request.path)
        links = article.preview_links.select_related("created_by")
        context = self._context(
            request,
            f"Share a preview of “{article}”",
            original=article,
            links=[
                (link, request.build_absolute_uri(link.get_absolute_url()))
                for link in links
            ],
        )
        return TemplateResponse(request, "admin/articles/article/share.html", context)


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__headline"]
    list_select_related = ["article"]
    raw_id_fields = ["article"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "brief_count"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(brief_count=Count("articles"))

    @admin.display(description="Briefs", ordering="brief_count")
    def brief_count(self, obj):
        return obj.brief_count


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "slug", "photo_thumb"]
    search_fields = ["name", "title"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["user"]

    @admin.display(description="Photo")
    def photo_thumb(self, obj):
        if not obj.photo:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="32" height="32">', obj.photo.url
        )


@admin.register(SectionLabel)
class SectionLabelAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    search_fields = ["name"]

    def get_deleted_objects(self, objs, request):
        # Sections PROTECT their label. Django would list them as bare
        # "Section: …" lines; an editor needs the briefs to change, linked.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        if protected:
            protected = self.briefs_using(objs)
        return deleted, counts, perms_needed, protected

    def briefs_using(self, labels) -> list[str]:
        """One line per brief: a link to it and which labels it uses."""
        rows = (
            Section.objects.filter(label__in=labels)
            .values("article", "article__headline", "label__name")
            .annotate(sections=Count("pk"))
            .order_by("article__headline", "article", "label__name")
        )
        uses: dict[tuple[int, str], list[str]] = {}
        for row in rows:
            n = row["sections"]
            uses.setdefault((row["article"], row["article__headline"]), []).append(
                f"“{row['label__name']}” in {n} section{'s' if n != 1 else ''}"
            )
        return [
            format_html(
                '<a href="{}">{}</a> — {}',
                reverse(
                    "admin:articles_article_change",
                    args=[pk],
                    current_app=self.admin_site.name,
                ),
                headline,
                ", ".join(labels_used),
            )
            for (pk, headline), labels_used in uses.items()
        ]
