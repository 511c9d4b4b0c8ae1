import nested_admin
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from articles.forms import SectionForm
from articles.models import (
    Article,
    Author,
    Bullet,
    Byline,
    Category,
    Section,
    SectionLabel,
    Topic,
)


class BulletInline(nested_admin.NestedTabularInline):
    model = Bullet
    fields = ["text", "position"]
    sortable_field_name = "position"
    extra = 0
    min_num = 0
    classes = ["bullets"]


class SectionInline(nested_admin.NestedStackedInline):
    model = Section
    form = SectionForm
    fields = [("label", "custom_label"), "heading", "text", "position"]
    sortable_field_name = "position"
    inlines = [BulletInline]
    extra = 0
    classes = ["sections"]


class BylineInline(nested_admin.NestedTabularInline):
    model = Byline
    fields = ["author", "position"]
    autocomplete_fields = ["author"]
    sortable_field_name = "position"
    extra = 0
    verbose_name = "author"
    verbose_name_plural = "byline (drag to order)"


@admin.register(Article)
class ArticleAdmin(nested_admin.NestedModelAdmin):
    list_display = [
        "headline",
        "status",
        "is_live",
        "category",
        "author_names",
        "published_at",
        "updated_at",
    ]
    list_filter = ["status", "category", "authors"]
    list_select_related = ["category"]
    search_fields = ["headline", "dek", "slug"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["category", "topics"]
    inlines = [BylineInline, SectionInline]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "intro"]}),
        ("Filing", {"fields": ["category", "topics", ("status", "published_at")]}),
        (
            "Hero image",
            {
                "fields": ["hero_image", "hero_alt", "hero_caption", "hero_credit"],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("bylines__author")

    @admin.display(boolean=True, description="Live")
    def is_live(self, obj):
        return obj.is_published

    @admin.display(description="Authors")
    def author_names(self, obj):
        return ", ".join(author.name for author in obj.byline_authors)


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
