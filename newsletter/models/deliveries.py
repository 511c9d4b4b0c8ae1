"""The delivery ledger: one row per edition and subscriber, the source of truth.

Sending starts by inserting a row for every confirmed subscriber (the
audience is snapshotted then). A worker claims pending rows, sends, and marks
each row sent straight after the server accepts it, so a worker killed and
restarted sends only what is left; the unique constraint makes a second copy
for the same person impossible whatever the task backend does.
"""

from django.db import models
from django.utils import timezone

from .editions import Edition
from .lists import Subscriber


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (no longer subscribed)"

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="deliveries"
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        default=timezone.now,
        help_text="A pending row is not sent before this time (retry back-off).",
    )
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A row still “being sent” after this was held by a worker "
        "that died; another worker takes it over.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # What happened after the relay or provider took the message. A provider
    # reports these later, through its tracking webhook; an SMTP relay that
    # refuses during our own session is recorded above (smtp_code).
    message_id = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="The Message-ID we gave the message, or the provider's id for it.",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_type = models.CharField(
        max_length=4,
        blank=True,
        choices=[("hard", "Hard bounce"), ("soft", "Soft bounce")],
    )
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "subscriber"], name="delivery_once_per_subscriber"
            ),
        ]
        indexes = [
            models.Index(
                fields=["edition", "status", "next_attempt_at"], name="delivery_queue"
            ),
        ]

    def __str__(self):
        return f"{self.edition} → {self.subscriber}"
