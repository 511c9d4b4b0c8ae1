"""Editions: one issue of one newsletter, built from published briefs."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from articles.models import Article, Section
from newsletter import breaker
from newsroom.model_parts import Positioned, creator_field
from newsroom.richtext import RichTextField

from .lists import ONE_LINE, Newsletter, has_control_characters


class EditionQuerySet(models.QuerySet):
    def archived(self):
        """Editions readers may see in the web archive: on a public list, and
        sent or being sent (the “view in your browser” link must work while a
        long send is still going)."""
        return self.filter(
            status__in=[Edition.Status.SENDING, Edition.Status.SENT],
            newsletter__is_public=True,
        ).select_related("newsletter")


class Edition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.PROTECT, related_name="editions"
    )
    subject = models.CharField(max_length=200)
    preheader = models.CharField(
        max_length=200,
        blank=True,
        help_text="The preview line inboxes show after the subject.",
    )
    intro = RichTextField(
        kind="block", help_text="A few sentences before the first brief (optional)."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    scheduled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a scheduled edition starts sending.",
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Frozen when sending starts, so every recipient (and the archive) gets
    # the same edition even if a brief is edited mid-send.
    snapshot = models.JSONField(default=dict, blank=True, editable=False)
    rendered_html = models.TextField(blank=True, editable=False)
    rendered_text = models.TextField(blank=True, editable=False)
    wakeup_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a deferred send task is due to look at this edition "
        "again (retries, a dead worker's lease); at most one is queued.",
    )
    # A send the breaker paused (newsletter/breaker.py, pausing.pause): when,
    # which check tripped, the reason it counted ("550 5.7.1", "connection",
    # "sender") and the server's reply. Cleared when someone resumes it.
    blocked_at = models.DateTimeField(null=True, blank=True, editable=False)
    blocked_check = models.CharField(max_length=300, blank=True, editable=False)
    blocked_reason = models.CharField(max_length=64, blank=True, editable=False)
    blocked_reply = models.TextField(blank=True, editable=False)
    # The run of failures for one reason that is not the readers', carried
    # from one batch task to the next (a batch may be shorter than the run).
    failure_run = models.PositiveIntegerField(default=0, editable=False)
    failure_reason = models.CharField(max_length=64, blank=True, editable=False)
    recipients_count = models.PositiveIntegerField(default=0, editable=False)
    sent_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)
    skipped_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = creator_field(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EditionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["newsletter", "status", "-finished_at"], name="edition_archive"
            ),
        ]

    def __str__(self):
        return self.subject

    def clean(self):
        errors = {
            name: ONE_LINE
            for name in ("subject", "preheader")
            if has_control_characters(getattr(self, name))
        }
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self):
        return reverse(
            "newsletter:archive_detail",
            kwargs={"slug": self.newsletter.slug, "pk": self.pk},
        )

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)

    @property
    def is_blocked(self) -> bool:
        """Paused by the breaker until someone resumes it."""
        return self.status == self.Status.SENDING and self.blocked_at is not None

    @property
    def state_label(self) -> str:
        return "Paused" if self.is_blocked else self.get_status_display()

    def blocked_checks(self) -> list[tuple[str, str]]:
        """What to check before resuming, the likeliest first."""
        return breaker.checks(self.blocked_reason, self.blocked_reply)


class EditionItem(Positioned):
    """One brief in an edition, in order, with the sections the editor keeps."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="brief",
        help_text="Only published briefs are sent.",
    )
    all_sections = models.BooleanField(
        "keep every section",
        default=True,
        help_text="Untick to keep only the sections chosen below; with none "
        "chosen the brief shows its headline, summary and a link.",
    )
    sections = models.ManyToManyField(
        Section,
        blank=True,
        related_name="+",
        help_text="Sections to keep when “keep every section” is off.",
    )

    class Meta(Positioned.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "article"], name="editionitem_brief_once"
            ),
        ]

    def __str__(self):
        # Shown where the edition is already in view (its inline, its
        # history, its delete page): the brief's headline says it all.
        return self.article.headline
