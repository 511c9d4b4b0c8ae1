"""A CSV import of subscribers: the upload, its progress and its report."""

from django.db import models

from newsroom.model_parts import creator_field

from .lists import Newsletter


class SubscriberImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Mode(models.TextChoices):
        CONFIRMED = "confirmed", "They already agreed: subscribe them now"
        PENDING = "pending", "Email each a link to confirm first"

    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="imports"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices)
    filename = models.CharField(max_length=255, blank=True)
    data = models.TextField(
        blank=True, help_text="The uploaded text; emptied once imported."
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    added_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(
        default=list,
        blank=True,
        help_text="Rows that were not imported, with the reason.",
    )
    notes = models.TextField(blank=True)
    created_by = creator_field()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "subscriber import"

    def __str__(self):
        return f"{self.filename or 'CSV'} → {self.newsletter}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def as_progress(self) -> dict:
        return {
            "status": self.status,
            "status_label": self.get_status_display(),
            "total": self.total_rows,
            "processed": self.processed_rows,
            "added": self.added_count,
            "existing": self.existing_count,
            "skipped": self.skipped_count,
            "invalid": self.invalid_count,
            "finished": self.is_finished,
        }
