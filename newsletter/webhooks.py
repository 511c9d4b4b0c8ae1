"""Providers' tracking webhooks (django-anymail): bounces, complaints, deliveries.

Each provider posts to /anymail/<provider>/tracking/. Anymail's own views
check the request and turn the provider's payload into AnymailTrackingEvent;
ours wrap them so that:

- nothing is accepted unless ANYMAIL_WEBHOOK_SECRET (basic auth, "user:pass")
  is set and matches, and for Mailgun and SendGrid their signature key is set
  and the signature matches (the providers whose signatures anymail checks);
- a forged or unauthenticated post is refused (401/403) and changes nothing,
  a malformed one answers 400, never a 500;
- an error of ours while recording (the database) is still a 500, so the
  provider retries it later: the event is not lost.

`on_tracking` (connected in apps.py) matches each event to its ledger row by
message id (else by address: the last edition sent to it within a week) and
hands it to newsletter/suppression.py.
"""

import importlib.util
import logging
import warnings
from datetime import timedelta

from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailNotSupportedWarning,
    AnymailWebhookValidationFailure,
)
from anymail.signals import EventType, RejectReason
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from newsletter import suppression
from newsletter.models import Delivery, normalize_email

logger = logging.getLogger(__name__)

# Anymail warns on every SendGrid request that it no longer supports SendGrid
# officially; its webhook still works and is tested here (tests/newsletter).
warnings.filterwarnings(
    "ignore", category=AnymailNotSupportedWarning, module=r"anymail\."
)

# What a malformed body raises inside anymail's parsers.
MALFORMED = (
    ValueError,  # json.JSONDecodeError too
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    AnymailAPIError,
)

# provider: (anymail's view, the ANYMAIL settings it needs beyond the secret)
PROVIDERS = {
    "postmark": (PostmarkTrackingWebhookView, ()),
    "amazon_ses": (AmazonSESTrackingWebhookView, ()),
    "mailgun": (MailgunTrackingWebhookView, ("MAILGUN_WEBHOOK_SIGNING_KEY",)),
    "sendgrid": (
        SendGridTrackingWebhookView,
        ("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",),
    ),
    "brevo": (BrevoTrackingWebhookView, ()),
}


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(
        message + "\n", status=status, content_type="text/plain; charset=utf-8"
    )


def guarded(view_class):
    """Anymail's view, with our refusals (see the module's docstring)."""

    class Guarded(view_class):
        # We refuse every request when the secret is not set (see `webhook`),
        # so anymail's warning about open webhooks would never apply.
        warn_if_no_basic_auth = False

        def run_validators(self, request):
            try:
                super().run_validators(request)
            except AnymailWebhookValidationFailure as exc:
                raise Refused(403, f"Refused: {exc}") from exc
            except MALFORMED as exc:
                raise Refused(400, "The request body could not be read.") from exc

        def parse_events(self, request):
            try:
                return super().parse_events(request)
            except AnymailWebhookValidationFailure as exc:
                raise Refused(403, f"Refused: {exc}") from exc
            except AnymailConfigurationError as exc:
                # e.g. a provider's inbound webhook pointed at this URL.
                raise Refused(400, str(exc)) from exc
            except MALFORMED as exc:
                raise Refused(400, "The events in the body could not be read.") from exc

        def post(self, request, *args, **kwargs):
            try:
                return super().post(request, *args, **kwargs)
            except Refused as refused:
                logger.warning(
                    "%s tracking webhook: %s", self.esp_name, refused.message
                )
                return _text(refused.status, refused.message)

    Guarded.__name__ = Guarded.__qualname__ = f"Guarded{view_class.__name__}"
    return Guarded


def _anymail_setting(name: str) -> str:
    return getattr(settings, "ANYMAIL", {}).get(name) or ""


def _view(provider: str):
    view_class, needs = PROVIDERS[provider]
    guarded_view = guarded(view_class).as_view()

    def webhook(request, *args, **kwargs):
        missing = [
            name for name in ("WEBHOOK_SECRET", *needs) if not _anymail_setting(name)
        ]
        if missing:
            env = {
                "WEBHOOK_SECRET": "ANYMAIL_WEBHOOK_SECRET",
                "MAILGUN_WEBHOOK_SIGNING_KEY": "MAILGUN_WEBHOOK_SIGNING_KEY",
                "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": (
                    "SENDGRID_WEBHOOK_VERIFICATION_KEY"
                ),
            }
            logger.error(
                "%s tracking webhook refused: set %s (docs/configuration.md).",
                provider,
                " and ".join(env[name] for name in missing),
            )
            return _text(403, "Refused: this webhook is not set up on this site.")
        if provider == "amazon_ses" and importlib.util.find_spec("boto3") is None:
            logger.error(
                "Amazon SES tracking webhook: boto3 is missing; install the "
                "`ses` extra (pip install -e '.[ses]')."
            )
            return _text(503, "Amazon SES events cannot be read on this site yet.")
        return guarded_view(request, *args, **kwargs)

    webhook.csrf_exempt = True
    return webhook


urlpatterns = [
    path(f"{provider}/tracking/", _view(provider), name=f"{provider}_tracking")
    for provider in PROVIDERS
]


# From an anymail event to what we act on --------------------------------


def outcome_of(event) -> suppression.Outcome:
    """Delivered, a hard or soft bounce, a complaint, or nothing for us.

    Anymail calls every final failure "bounced"; whether the mailbox is gone
    (hard) or the failure was for now (soft: full, down, greylisted for too
    long) is in each provider's own payload. Deferrals (the provider will
    try again) are not bounces.
    """
    detail = str(event.mta_response or event.description or "")[:300]
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if event.event_type == EventType.DELIVERED:
        return suppression.Outcome("delivered")
    if event.event_type == EventType.COMPLAINED:
        return suppression.Outcome("complaint", detail)
    if event.event_type == EventType.REJECTED and event.reject_reason in (
        RejectReason.BOUNCED,
        RejectReason.INVALID,
    ):
        # The provider refused to send: the address bounced before, or is
        # not an address. Its own suppression list says the mailbox is gone.
        return suppression.Outcome(suppression.HARD, detail)
    if event.event_type != EventType.BOUNCED:
        return suppression.Outcome("")
    soft = (
        raw.get("Type") in ("SoftBounce", "VirusNotification")  # Postmark
        or raw.get("bounce", {}).get("bounceType") in ("Transient", "Undetermined")
        or raw.get("type") == "blocked"  # SendGrid
        or raw.get("event") == "soft_bounce"  # Brevo
        or (
            # Mailgun: a permanent failure that is not the mailbox's
            raw.get("event-data", {}).get("event") == "failed"
            and raw["event-data"].get("reason") not in ("bounce", "suppress-bounce")
        )
    )
    return suppression.Outcome(suppression.SOFT if soft else suppression.HARD, detail)


def _message_ids(event) -> list[str]:
    """The ids this event may carry for our message: the provider's id (API
    sends), and for Amazon SES our own Message-ID header (SMTP sends)."""
    ids = []
    if event.message_id:
        ids.append(str(event.message_id).strip())
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    header = raw.get("mail", {}).get("commonHeaders", {}).get("messageId")
    if header:
        ids.append(str(header).strip())
    with_brackets = []
    for value in ids:
        with_brackets.append(value)
        # Stored as sent (<…@…> for our Message-ID); providers differ.
        bare = value.strip("<>")
        with_brackets += [bare, f"<{bare}>"]
    return list(dict.fromkeys(v for v in with_brackets if v and v != "<>"))


# A report with no id of ours is put down to the last edition sent to its
# address this recently (a relay that reports only its own id for SMTP mail).
MATCH_BY_ADDRESS_WITHIN = timedelta(days=7)


def find_delivery(event) -> Delivery | None:
    rows = Delivery.objects.select_related("subscriber", "edition")
    ids = _message_ids(event)
    if ids:
        found = rows.filter(message_id__in=ids).order_by("-pk").first()
        if found is not None:
            return found
    address = normalize_email(event.recipient or "")
    if not address:
        return None
    at = event.timestamp or timezone.now()
    return (
        rows.filter(
            subscriber__email=address,
            status=Delivery.Status.SENT,
            sent_at__lte=at,
            sent_at__gte=at - MATCH_BY_ADDRESS_WITHIN,
        )
        .order_by("-sent_at", "-pk")
        .first()
    )


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail's `tracking` signal: record one provider event."""
    outcome = outcome_of(event)
    if not outcome.kind:
        return
    delivery = find_delivery(event)
    if delivery is None and outcome.kind in ("delivered", suppression.SOFT):
        logger.info(
            "%s %s event for a message not in the ledger; ignored.",
            esp_name,
            outcome.kind,
        )
        return
    suppression.record(
        outcome,
        delivery=delivery,
        recipient=event.recipient or "",
        at=event.timestamp or timezone.now(),
        source=f"{esp_name} webhook",
    )
