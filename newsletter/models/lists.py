"""Lists, the people on them, and what each person agreed to."""

import unicodedata
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

ONE_LINE = (
    "One line of text, please: remove the line breaks (or other control characters)."
)


def is_control(char: str) -> bool:
    """A line break or other control: never wanted in a name or a subject,
    and in a mail header it would start a header of its own."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def has_control_characters(value: str) -> bool:
    return any(is_control(c) for c in value or "")


def one_line(value: str) -> str:
    """`value` fit for a header: controls become spaces. What the validator
    below refuses on the way in, this repairs on the way out, for whatever
    was stored before (or around) that rule."""
    return " ".join("".join(" " if is_control(c) else c for c in value).split())


def validate_one_line(value: str) -> None:
    """The one rule for a name, whichever way it comes in (the admin's forms,
    the CSV import, full_clean): no line breaks or other control characters.
    Mail would carry it in a header, where it must be one line."""
    if has_control_characters(value):
        raise ValidationError(ONE_LINE, code="one_line")


def normalize_email(value: str) -> str:
    """The one spelling of an address we store and compare.

    Trimmed (also of the non-breaking spaces that copy-paste brings), NFC
    normalised and lower-cased. Local parts are case-sensitive on paper; no
    mailbox provider in use treats them so, and two rows for one inbox would
    mean two copies of every edition.
    """
    value = unicodedata.normalize("NFC", value or "")
    return value.strip().strip("\u00a0\u200b\ufeff").strip().lower()


class Newsletter(models.Model):
    """A list readers subscribe to, e.g. the daily brief or the weekly."""

    name = models.CharField(max_length=100, validators=[validate_one_line])
    slug = models.SlugField(
        max_length=60,
        help_text="Used in archive addresses and in the List-Id header mail "
        "clients use to group and unsubscribe.",
    )
    description = models.TextField(
        blank=True, help_text="One line shown on the signup and preferences pages."
    )
    is_default = models.BooleanField(
        "default list",
        default=False,
        help_text="The list the signup form on every page subscribes to, and "
        "the one send_edition uses when no --newsletter is given.",
    )
    is_public = models.BooleanField(
        default=True,
        help_text="Readers can choose it on the signup and preferences pages "
        "and its sent editions are in the web archive.",
    )
    from_email = models.CharField(
        "sender",
        max_length=200,
        blank=True,
        help_text="e.g. “Daily Brief <daily@example.com>”. Empty uses "
        "DEFAULT_FROM_EMAIL.",
    )
    reply_to = models.EmailField(blank=True)
    track_clicks = models.BooleanField(
        "count clicks",
        default=True,
        help_text="Links in its editions go through a short redirect on this "
        "site that counts the click (who, which link, when) before sending "
        "the reader on. Applies to editions sent after the change.",
    )
    track_opens = models.BooleanField(
        "count opens",
        default=False,
        help_text="Its editions carry a 1×1 image that records when a reader "
        "first opened them. Off by default: many mail clients load images "
        "for the reader (or never), so the figure is rough.",
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="newsletter_slug_unique"),
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="newsletter_single_default",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("newsletter:archive_list", kwargs={"slug": self.slug})

    def clean(self):
        if self.from_email:
            name, address = parseaddr(self.from_email)
            try:
                if any(c in self.from_email for c in "\r\n") or not address:
                    raise ValidationError("")
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {
                        "from_email": "Write an address, optionally with a name: "
                        "“Daily Brief <daily@example.com>”."
                    }
                ) from None

    def save(self, *args, **kwargs):
        if self.is_default:
            # Moving the default is one click in the admin, not two.
            Newsletter.objects.filter(is_default=True).exclude(pk=self.pk).update(
                is_default=False
            )
        super().save(*args, **kwargs)

    @classmethod
    def get_default(cls):
        """The default list, or the first one if none is marked default."""
        return cls.objects.order_by("-is_default", "position", "pk").first()


class Subscriber(models.Model):
    """One inbox. What it receives is in its subscriptions."""

    email = models.EmailField(
        max_length=254, help_text="Stored trimmed and in lower case."
    )
    name = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_one_line],
        help_text="One line: it goes in the To line of every edition.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_request_mail_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When we last mailed a confirmation or an “already "
        "subscribed” note; repeated signups within a day send nothing, "
        "so a stranger cannot flood this inbox from the form.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)


class Subscription(models.Model):
    """One subscriber on one list, with where and when they agreed to it.

    Never deleted, and nothing deleted takes it along (PROTECT): a reader
    leaves by unsubscribing, and an erasure request (newsletter/privacy.py)
    removes the person while this row and its events stay.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"

    class Source(models.TextChoices):
        FOOTER_FORM = "footer", "Form at the foot of a page"
        SIGNUP_PAGE = "signup-page", "Signup page"
        PREFERENCES = "preferences", "Preferences page"
        IMPORT = "import", "CSV import"
        ADMIN = "admin", "Added in the admin"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.PROTECT, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(
        max_length=12,
        choices=Status.choices,
        default=Status.PENDING,
        help_text="Only confirmed subscriptions receive editions.",
    )
    source = models.CharField(
        "consent source", max_length=12, choices=Source.choices, blank=True
    )
    source_url = models.CharField(
        "consent page",
        max_length=300,
        blank=True,
        help_text="The page the form was on when the reader subscribed.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["newsletter__position", "newsletter__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "newsletter"],
                name="subscription_once_per_list",
            ),
        ]
        indexes = [
            # The audience of an edition: confirmed subscriptions of one list.
            models.Index(fields=["newsletter", "status"], name="subscription_audience"),
        ]

    def __str__(self):
        return f"{self.subscriber} on {self.newsletter}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    def move_to(
        self,
        status: str,
        *,
        source: str,
        detail: str = "",
        at=None,
        edition=None,
        kind: str | None = None,
        consent_source: str | None = None,
        consent_url: str | None = None,
    ) -> "SubscriptionEvent":
        """Put the subscription in `status` and log it in the consent history.

        The one way a status changes, so the status, its timestamps and the
        event that explains them never disagree. `source` and `detail` are
        the event's (who or what did it); `consent_source`/`consent_url`,
        when given, replace the subscription's own record of where consent
        was asked. `kind` is for an event that is not named after the status
        (an import vouches for consent: IMPORTED, not CONFIRMED).
        """
        at = at or timezone.now()
        self.status = status
        self.status_changed_at = at
        fields = ["status", "status_changed_at"]
        if status == self.Status.CONFIRMED:
            self.confirmed_at = at
            fields.append("confirmed_at")
        elif status != self.Status.PENDING:
            self.unsubscribed_at = at
            fields.append("unsubscribed_at")
        if consent_source is not None:
            self.source = consent_source
            fields.append("source")
        if consent_url is not None:
            self.source_url = consent_url
            fields.append("source_url")
        # A row the admin is adding has nothing to update yet.
        self.save(update_fields=fields if self.pk else None)
        return self.log(
            kind or SubscriptionEvent.KIND_OF_STATUS[status],
            source=source,
            detail=detail,
            at=at,
            edition=edition,
        )

    def log(self, kind, *, source="", detail="", at=None, edition=None):
        """Add an event to the consent history without changing the status."""
        return SubscriptionEvent.objects.create(
            subscription=self,
            kind=kind,
            source=source,
            detail=detail[:300],
            edition=edition,
            created_at=at or timezone.now(),
        )


class SubscriptionEvent(models.Model):
    """An append-only record of consent: who asked, confirmed or left, and when.

    Status fields say where a subscription is now; this log says how it got
    there, which is what a data-protection request or the daily chart needs.
    Rows are only ever added: no role may change or delete them
    (articles/roles.py WITHHELD) and deleting their subscription is refused.
    """

    class Kind(models.TextChoices):
        REQUESTED = "requested", "Signed up (unconfirmed)"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        IMPORTED = "imported", "Imported"

    # The event a change to each status writes (Subscription.move_to).
    KIND_OF_STATUS = {
        Subscription.Status.PENDING: Kind.REQUESTED,
        Subscription.Status.CONFIRMED: Kind.CONFIRMED,
        Subscription.Status.UNSUBSCRIBED: Kind.UNSUBSCRIBED,
        Subscription.Status.BOUNCED: Kind.BOUNCED,
        Subscription.Status.COMPLAINED: Kind.COMPLAINED,
    }

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    source = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    edition = models.ForeignKey(
        "newsletter.Edition",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscription_events",
        help_text="The edition this came from: its unsubscribe link, a bounce "
        "or a complaint about it.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "created_at"], name="subevent_daily"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.subscription}"
