"""What is kept beside a brief: its revisions, secret preview links and
published corrections."""

from django.db import models
from django.urls import reverse
from django.utils import timezone

from articles.models.briefs import Article
from newsroom.model_parts import creator_field
from newsroom.richtext import RichTextField


class Revision(models.Model):
    """A full snapshot of a brief (fields, sections, bullets) at one save."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="revisions"
    )
    article_version = models.PositiveIntegerField(
        help_text="The brief's version number right after this save."
    )
    snapshot = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = creator_field()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["article", "-created_at"], name="revision_article_idx"
            ),
        ]

    def __str__(self):
        return f"{self.article} · version {self.article_version}"


def new_preview_token() -> str:
    import secrets

    return secrets.token_urlsafe(24)


class PreviewLink(models.Model):
    """A secret address that shows an unpublished brief to anyone who has it."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="preview_links"
    )
    token = models.CharField(max_length=64, default=new_preview_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = creator_field()
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="A revoked link shows nothing any more."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["token"], name="previewlink_token_unique"),
        ]

    def __str__(self):
        return f"Preview link for {self.article}"

    def get_absolute_url(self):
        return reverse("articles:preview", kwargs={"token": self.token})

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Correction(models.Model):
    """A correction or update appended to a published brief, shown to readers."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="corrections"
    )
    kind = models.CharField(
        max_length=12, choices=Kind.choices, default=Kind.CORRECTION
    )
    text = RichTextField(
        kind="inline",
        blank=False,
        help_text="Shown to readers at the end of the brief, with its time.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.article}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Readers see “Updated …”; update() leaves the brief's version alone,
        # so an editor with the brief open is not told it changed under them.
        Article.objects.filter(pk=self.article_id).update(updated_at=timezone.now())
