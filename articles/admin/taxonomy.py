"""What briefs are filed under and shown with: categories, topics, authors,
section labels."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from articles.models import Author, Category, Section, SectionLabel, Topic


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
