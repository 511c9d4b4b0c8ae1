"""What readers did with an edition: the links it carried, clicks, opens.

Privacy first (docs: "Clicks and opens"): a click row holds the link, the
reader and the time, nothing else (no address, no browser, no IP); an open
row holds the reader and the time of the first open only. Both go with the
reader's erasure (newsletter/privacy.py) and with the edition.
"""

from django.db import models
from django.utils import timezone

from .editions import Edition
from .lists import Subscriber


class TrackedLink(models.Model):
    """One distinct address an edition links to, numbered from 0 in the order
    it first appears. Frozen with the edition, never changed afterwards: the
    click redirect trusts it as the only place it may send a reader."""

    class Kind(models.TextChoices):
        BRIEF = "brief", "Brief"
        OUTSIDE = "link", "Link in the text"

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="tracked_links"
    )
    position = models.PositiveIntegerField()
    url = models.TextField()
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.OUTSIDE)
    label = models.CharField(
        max_length=300, blank=True, help_text="The brief's headline, for a brief."
    )

    class Meta:
        ordering = ["edition", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "position"], name="trackedlink_position_once"
            ),
        ]

    def __str__(self):
        return self.label or self.url


class ReaderEvent(models.Model):
    """What a click and an open both hold: the edition, the reader and the
    time, and nothing more. Deleted with either (CASCADE); results.py and
    privacy.py query them directly, so neither has a reverse name."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class Click(ReaderEvent):
    """A reader followed a link. Scanners' bursts are stored like any click
    and left out when the figures are made (newsletter/results.py), because
    the first click of a burst cannot be told from a reader's until the
    next one arrives."""

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="+")

    class Meta(ReaderEvent.Meta):
        indexes = [
            models.Index(fields=["edition", "subscriber", "at"], name="click_reader"),
        ]

    def __str__(self):
        return f"{self.link} at {self.at:%Y-%m-%d %H:%M}"


class Open(ReaderEvent):
    """The first time a reader's mail client loaded the edition's pixel
    (only for newsletters with opens switched on)."""

    class Meta(ReaderEvent.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "subscriber"], name="open_once_per_reader"
            ),
        ]

    def __str__(self):
        return f"opened {self.at:%Y-%m-%d %H:%M}"
