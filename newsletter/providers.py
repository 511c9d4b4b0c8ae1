"""Sending an edition through a provider's API (django-anymail), not SMTP.

Chosen by BULK_EMAIL_URL=anymail+PROVIDER://… (newsroom/env.py). Each
reader's message is built exactly as for SMTP (mime.PreparedEdition), then
handed to anymail as subject, text, HTML and our headers: one API call per
reader, so each ledger row is marked from the provider's answer for that
reader alone. Its message id goes on the row (the tracking webhook finds the
row by it later); a reader the provider refuses fails with its reason.
"""

import email
import email.policy

from anymail.exceptions import AnymailRecipientsRefused
from django.core.mail import EmailMultiAlternatives

# Our headers that the provider must pass on: one-click unsubscribe, the
# list's identity, and what keeps auto-replies and feedback loops sensible.
PASSED_HEADERS = (
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Precedence",
    "Auto-Submitted",
    "Feedback-ID",
    "X-Newsroom-Test",
)
ACCEPTED = {"sent", "queued", "scheduled", "unknown"}


class RecipientRefused(Exception):
    """The provider would not send to this reader (or could not, for now).

    `kind` is one of transport's failure kinds: "permanent" for an address
    it refuses (suppressed there, invalid), "relay" for a failure of its own.
    """

    def __init__(self, kind: str, text: str):
        super().__init__(text)
        self.kind = kind
        self.text = text


def build_message(from_addr: str, to_addr: str, raw: bytes) -> EmailMultiAlternatives:
    """Our prepared message, as the parts an API takes."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    text = html = ""
    for part in parsed.walk():
        kind = part.get_content_type()
        # The parts as text, with the line ends a Python string uses: the
        # API encodes them for the wire itself.
        if kind == "text/plain" and not text:
            text = part.get_content().replace("\r\n", "\n")
        elif kind == "text/html" and not html:
            html = part.get_content().replace("\r\n", "\n")
    headers = {
        name: " ".join(str(parsed[name]).split())
        for name in PASSED_HEADERS
        if parsed[name] is not None
    }
    message = EmailMultiAlternatives(
        subject=str(parsed["Subject"] or ""),
        body=text,
        from_email=str(parsed["From"] or from_addr),
        to=[str(parsed["To"] or to_addr)],
        reply_to=[str(parsed["Reply-To"])] if parsed["Reply-To"] else None,
        headers=headers,
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def _reason(status) -> str:
    """What the provider said, when its answer says anything."""
    response = getattr(status, "esp_response", None)
    try:
        body = response.json()
    except Exception:  # not every answer is JSON (or an HTTP response)
        return ""
    if isinstance(body, dict):
        for key in ("Message", "message", "error", "Error"):
            if body.get(key):
                return str(body[key])[:500]
    return ""


def send(backend, from_addr: str, to_addr: str, raw: bytes) -> str:
    """Send one reader's message; the provider's id for it.

    Raises RecipientRefused when the provider answers for this reader with
    anything but accepted; any other error (the API down, a bad token) is
    raised as anymail raised it, and classified as ours (transport.classify).
    """
    message = build_message(from_addr, to_addr, raw)
    try:
        backend.send_messages([message])
    except AnymailRecipientsRefused:
        pass  # the per-recipient status below says why
    status = getattr(message, "anymail_status", None)
    if status is None:
        raise RecipientRefused("relay", "The provider gave no answer for this message.")
    recipient = status.recipients.get(to_addr)
    if recipient is None and len(status.recipients) == 1:
        recipient = next(iter(status.recipients.values()))
    if recipient is None:
        raise RecipientRefused(
            "relay", "The provider's answer did not name this reader."
        )
    if recipient.status in ACCEPTED:
        return "" if recipient.message_id is None else str(recipient.message_id)
    name = getattr(backend, "esp_name", "The provider")
    said = _reason(status)
    text = f"{name} did not send it ({recipient.status})" + (
        f": {said}" if said else "."
    )
    if recipient.status in ("rejected", "invalid"):
        raise RecipientRefused("permanent", text)
    raise RecipientRefused("relay", text)
