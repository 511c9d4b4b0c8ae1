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


def _brief_rows(queryset, meta) -> list[Row]:
    return [Row(a.headline, _change_url(a), meta(a)) for a in queryset[:ROWS]]


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
        Panel(
            "In review",
            _list_url("review"),
            review.count(),
            _brief_rows(
                review,
                lambda a: " · ".join(
                    filter(None, [_bylines(a), f"sent {_when(a.updated_at)}"])
                ),
            ),
            empty="No brief is waiting for review.",
        ),
        Panel(
            "Scheduled next",
            _list_url("scheduled"),
            scheduled.count(),
            _brief_rows(scheduled, lambda a: f"goes live {_when(a.published_at)}"),
            empty="Nothing is scheduled.",
        ),
        Panel(
            "My drafts",
            _list_url("mine"),
            mine.count(),
            _brief_rows(mine, lambda a: f"edited {_when(a.updated_at)}"),
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
