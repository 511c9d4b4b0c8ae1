"""The suppression list: addresses that must not be mailed, with why and when."""

from django.db import models
from django.utils import timezone


class Suppression(models.Model):
    """One address we never mail, whatever list it is on or comes back to.

    Checked when an edition's audience is snapshotted, at signup, at import
    and when someone is added in the admin (newsletter/suppression.py).

    An erased person's row keeps no address: only `address_hash`, a keyed
    hash (HMAC with SECRET_KEY) of it, which can tell "this is that address
    again" at an import without anyone being able to read it back.
    """

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard-bounce", "Hard bounce"
        SOFT_BOUNCES = "soft-bounces", "Soft bounces, too many in a row"
        COMPLAINT = "complaint", "Marked as spam"
        ERASED = "erased", "Erased on request"
        BLOCKED = "blocked", "Blocked by hand"

    address = models.EmailField(
        max_length=254,
        blank=True,
        help_text="Stored trimmed and in lower case; empty for an erased person.",
    )
    address_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="For an erased person only: a keyed hash of the address.",
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    detail = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the provider or the mail server said, or why it was blocked.",
    )
    source = models.CharField(
        max_length=60,
        blank=True,
        help_text="Where it came from: a provider's webhook, an SMTP reply, the "
        "admin (and who), an erasure.",
    )
    edition = models.ForeignKey(
        "newsletter.Edition",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suppressions",
        help_text="The edition that bounced or was marked as spam, when known.",
    )
    created_at = models.DateTimeField("since", default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["address"],
                condition=~models.Q(address=""),
                name="suppression_address_once",
            ),
            models.UniqueConstraint(
                fields=["address_hash"],
                condition=~models.Q(address_hash=""),
                name="suppression_hash_once",
            ),
        ]

    def __str__(self):
        return self.address or "(erased address)"
