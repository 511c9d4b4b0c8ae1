"""The desk's briefs panels: in review, scheduled next, my drafts, corrections."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from articles import workflow
from articles.models import Article, Correction
from newsroom.dashboard import ROWS, Panel, Row


def _when(value) -> str:
    return date_format(timezone.localtime(value), "j M, H:i") if value else ""


def _change_url(article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def _list_url(desk: str) -> str:
    return f"{reverse('admin:articles_article_changelist')}?desk={desk}"


def _brief_panel(title: str, desk: str, queryset, meta, empty: str) -> Panel:
    """A panel of briefs: each row's headline, its edit link and `meta(brief)`."""
    count = queryset.count()
    rows = [Row(a.headline, _change_url(a), meta(a)) for a in queryset[:ROWS]]
    return Panel(title, _list_url(desk), count, rows, empty=empty)


def _bylines(article) -> str:
    return ", ".join(b.author.name for b in article.bylines.all())


def panels(request) -> list[Panel]:
    if not request.user.has_perm("articles.view_article"):
        return []
    now = timezone.now()
    briefs = Article.objects.only(
        "headline", "status", "published_at", "updated_at", "created_by"
    ).prefetch_related("bylines__author")
    corrections = Correction.objects.all()
    if not workflow.can_edit_any(request.user):
        # A writer's desk holds what their brief list holds: their own.
        briefs = workflow.own_briefs(briefs, request.user)
        corrections = corrections.filter(article__in=briefs)
    review = briefs.filter(status=Article.Status.REVIEW).order_by("-updated_at")
    scheduled = briefs.filter(
        status=Article.Status.PUBLISHED, published_at__gt=now
    ).order_by("published_at")
    mine = briefs.filter(status=Article.Status.DRAFT, created_by=request.user)
    mine = mine.order_by("-updated_at")
    week_ago = now - timedelta(days=7)
    corrections = (
        corrections.filter(created_at__gte=week_ago)
        .select_related("article")
        .only("kind", "created_at", "article__headline")
        .order_by("-created_at")
    )
    return [
        _brief_panel(
            "In review",
            "review",
            review,
            lambda a: " · ".join(
                filter(None, [_bylines(a), f"sent {_when(a.updated_at)}"])
            ),
            empty="No brief is waiting for review.",
        ),
        _brief_panel(
            "Scheduled next",
            "scheduled",
            scheduled,
            lambda a: f"goes live {_when(a.published_at)}",
            empty="Nothing is scheduled.",
        ),
        _brief_panel(
            "My drafts",
            "mine",
            mine,
            lambda a: f"edited {_when(a.updated_at)}",
            empty="You have no drafts.",
        ),
        Panel(
            "Corrections this week",
            _list_url("corrected"),
            corrections.values("article").distinct().count(),
            [
                Row(
                    c.article.headline,
                    _change_url(c.article),
                    _when(c.created_at),
                    badge=c.get_kind_display(),
                )
                for c in corrections[:ROWS]
            ],
            empty="No corrections or updates this week.",
        ),
    ]
