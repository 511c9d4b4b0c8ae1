"""The editorial workflow: draft → in review → published (now or later) → unpublished.

Who may do what is decided here, once, for the admin's buttons, list actions
and form validation alike:

- anyone who may change a brief can move it between draft and review;
- publishing, scheduling and unpublishing need `articles.publish_article`;
- editing briefs one did not write needs `articles.edit_any_article`.

A scheduled brief is simply published with a future time: the published()
QuerySet reads the clock, so it appears on time with no job to run.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from articles.models import Article, Byline

Status = Article.Status


@dataclass(frozen=True)
class Action:
    name: str  # also the submit button's name: "_<name>"
    label: str
    target: str
    needs_publish: bool
    sources: frozenset[str]


ACTIONS = {
    action.name: action
    for action in [
        Action(
            "submit",
            "Submit for review",
            Status.REVIEW,
            False,
            frozenset({Status.DRAFT}),
        ),
        Action(
            "publish",
            "Publish",
            Status.PUBLISHED,
            True,
            frozenset({Status.DRAFT, Status.REVIEW, Status.UNPUBLISHED}),
        ),
        Action(
            "unpublish",
            "Unpublish",
            Status.UNPUBLISHED,
            True,
            frozenset({Status.PUBLISHED}),
        ),
        Action(
            "to_draft",
            "Back to draft",
            Status.DRAFT,
            False,
            frozenset({Status.REVIEW}),
        ),
    ]
}


def can_publish(user) -> bool:
    return user.has_perm("articles.publish_article")


def can_edit_any(user) -> bool:
    return user.has_perm("articles.edit_any_article")


def owns(user, article: Article) -> bool:
    """Whether `user` created the brief or writes for it (a byline)."""
    if article.pk is None:
        return True
    if article.created_by_id == user.pk:
        return True
    return article.bylines.filter(author__user=user).exists()


def own_briefs(queryset, user):
    bylined = Byline.objects.filter(author__user=user).values("article_id")
    return queryset.filter(Q(created_by=user) | Q(pk__in=bylined))


def allowed_statuses(user, current: str | None = None) -> list[str]:
    """Statuses `user` may choose in the form."""
    if can_publish(user):
        return list(Status.values)
    allowed = [Status.DRAFT, Status.REVIEW]
    if current and current not in allowed:
        allowed.append(current)  # shown, but no change to it is accepted
    return allowed


def available_actions(user, article: Article) -> list[Action]:
    """The workflow buttons to offer on a brief's form."""
    current = article.status if article.pk else Status.DRAFT
    return [
        action
        for action in ACTIONS.values()
        if current in action.sources and (can_publish(user) or not action.needs_publish)
    ]


def apply(article: Article, action: Action) -> None:
    """Set the status (and publication time) an action leads to; no save."""
    article.status = action.target
    if action.target == Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()


def is_scheduled(article: Article) -> bool:
    return (
        article.status == Status.PUBLISHED
        and article.published_at is not None
        and article.published_at > timezone.now()
    )


def state_label(article: Article) -> str:
    """The state as editors say it: “Scheduled for 5 Jan 2026, 09:00”."""
    if is_scheduled(article):
        when = date_format(
            timezone.localtime(article.published_at), "j M Y, H:i", use_l10n=False
        )
        return f"Scheduled for {when}"
    return article.get_status_display()
