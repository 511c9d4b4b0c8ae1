"""An edition's message, built once and personalised per reader by a token swap.

Building every message with Python's email package would cost more than
sending it (`make bench` measures both). So the edition is rendered once (HTML with CSS
inlined, and text), its headers folded once, and both parts encoded to
quoted-printable once, with placeholders where each reader's tokens go. A
placeholder starts a line and is as long as the longest token, so swapping
tokens into the encoded bytes keeps every line valid. Per reader: the To,
Message-ID and List-Unsubscribe lines, and each part joined from its
pieces and the reader's tokens (unsubscribe, preferences, and with click
tracking one per link: tracking.ReaderTokens).

List-Unsubscribe is written by hand, never folded: Python's email package
would fold a long URL into RFC 2047 encoded-words, which breaks one-click.
"""

import binascii
import email.policy
import email.utils
import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import punycode
from django.utils.http import int_to_base36

from newsletter import emails, tokens, tracking
from newsletter.models import one_line
from newsroom.links import absolute_url

# Stand-ins for each reader's tokens in the shared rendering: ASCII letters
# only, so neither HTML escaping nor CSS inlining changes them, and exactly
# as long as the longest token they stand for (see qp_template).
UNSUBSCRIBE_PLACEHOLDER = "NRxUNSUBSCRIBExTOKEN".ljust(tokens.UNSUBSCRIBE_MAX, "x")
PREFERENCES_PLACEHOLDER = "NRxPREFERENCESxTOKEN".ljust(tokens.PREFERENCES_MAX, "x")
# With the click-tracking links and the open pixel (tracking.py).
_PLACEHOLDERS = re.compile(
    f"({UNSUBSCRIBE_PLACEHOLDER}|{PREFERENCES_PLACEHOLDER}|"
    f"{tracking.PLACEHOLDERS_PATTERN})".encode("ascii")
)
_QP_LINE = 76

_POLICY = email.policy.SMTP


def list_id(newsletter) -> str:
    domain = (
        settings.NEWSLETTER["LIST_ID_DOMAIN"] or urlsplit(settings.SITE_URL).hostname
    )
    name = one_line(newsletter.name).replace('"', "").replace("\\", "")
    return f'"{name}" <{newsletter.slug}.{domain or "localhost"}>'


def placeholder_links() -> dict:
    return {
        "unsubscribe": absolute_url(
            reverse("one_click_unsubscribe", kwargs={"token": UNSUBSCRIBE_PLACEHOLDER})
        ),
        "preferences": absolute_url(
            reverse("newsletter:preferences", kwargs={"token": PREFERENCES_PLACEHOLDER})
        ),
    }


def _soft_break(encoded: bytes) -> bytes:
    """`encoded` (quoted-printable) ending in a soft line break, lines <= 76."""
    start = encoded.rfind(b"\n") + 1
    last = encoded[start:]
    if len(last) < _QP_LINE:
        return encoded + b"=\n"
    # Break the last line earlier, never inside an =XX escape.
    cut = _QP_LINE - 1
    while b"=" in last[max(cut - 2, 0) : cut]:
        cut -= 1
    return encoded[:start] + last[:cut] + b"=\n" + last[cut:] + b"=\n"


def qp_template(text: str) -> bytes:
    """Quoted-printable bytes of `text`, done once for every reader.

    Each placeholder starts a line (after a soft line break) and is as long
    as the longest token it stands for, so a reader's tokens replace it in
    the encoded bytes without a line ever passing 76 characters and without
    a soft break ever falling inside a token. Each reader then costs one
    bytes.replace per placeholder instead of an encode of the whole part.
    """
    data = "\n".join(text.splitlines()).encode("utf-8") + b"\n"
    parts = _PLACEHOLDERS.split(data)
    out = binascii.b2a_qp(parts[0], istext=True)
    for i in range(1, len(parts), 2):
        out = _soft_break(out) + binascii.b2a_qp(parts[i] + parts[i + 1], istext=True)
    return out.replace(b"\n", b"\r\n")


def envelope_address(address: str) -> str:
    """The address as SMTP needs it; ValueError for what cannot be sent.

    Header injection (CR/LF) and non-ASCII local parts are refused here, so
    a bad row fails alone instead of stopping the batch.
    """
    if any(c in address for c in "\r\n\x00") or address.count("@") != 1:
        raise ValueError(f"invalid address {address!r}")
    local, _, domain = address.partition("@")
    if not local or not domain or not local.isascii() or " " in address:
        raise ValueError(f"undeliverable address {address!r}")
    return f"{local}@{punycode(domain) if not domain.isascii() else domain}"


def _fill(pieces: list[bytes], values: dict[bytes, bytes]) -> bytes:
    """The pieces of a split template, each placeholder replaced by its value."""
    out = pieces[:]
    out[1::2] = [values[p] for p in pieces[1::2]]
    return b"".join(out)


class PreparedEdition:
    """An edition rendered once; `personalise` makes each reader's bytes."""

    def __init__(self, edition, *, subject: str, text: str, html: str, test=False):
        newsletter = edition.newsletter
        self.edition_id = edition.pk or 0
        # A test copy's links do not count for the edition.
        self.token_edition = None if test else (edition.pk or None)
        self.newsletter_id = newsletter.pk
        sender_name, sender = email.utils.parseaddr(
            newsletter.from_email or settings.DEFAULT_FROM_EMAIL
        )
        self.envelope_from = envelope_address(sender)
        self.domain = emails.mail_domain()
        self.unsubscribe_base = placeholder_links()["unsubscribe"].replace(
            UNSUBSCRIBE_PLACEHOLDER, "{}"
        )
        self.boundary = f"==nr-{uuid.uuid4().hex}=="
        head = [
            # Rebuilt from its parts: nothing stored reaches the header raw.
            _POLICY.fold(
                "From", email.utils.formataddr((one_line(sender_name), sender))
            ),
            _POLICY.fold("Subject", one_line(subject)),
            f"Date: {email.utils.format_datetime(timezone.now())}\r\n",
            _POLICY.fold("List-Id", list_id(newsletter)),
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            "Precedence: bulk\r\n",
            # RFC 3834: no vacation replies to a newsletter.
            "Auto-Submitted: auto-generated\r\n",
            f"Feedback-ID: {self.edition_id}:{newsletter.slug}:newsroom\r\n",
        ]
        if newsletter.reply_to:
            head.append(_POLICY.fold("Reply-To", newsletter.reply_to))
        if test:
            head.append("X-Newsroom-Test: yes\r\n")
        head += [
            "MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n',
        ]
        self.head = "".join(head).encode("ascii")
        self.text = qp_template(text)
        self.html = qp_template(html)
        self.unsubscribe_placeholder = UNSUBSCRIBE_PLACEHOLDER.encode("ascii")
        self.preferences_placeholder = PREFERENCES_PLACEHOLDER.encode("ascii")
        # Each part as [bytes, placeholder, bytes, placeholder, …, bytes].
        self.text_pieces = _PLACEHOLDERS.split(self.text)
        self.html_pieces = _PLACEHOLDERS.split(self.html)
        tracked = tracking.placeholders_in(self.text, self.html)
        self.reader_tokens = (
            tracking.ReaderTokens(self.edition_id, tracked) if tracked else None
        )
        part = (
            '--{b}\r\nContent-Type: text/{kind}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        self.text_head = part.format(b=self.boundary, kind="plain").encode("ascii")
        self.html_head = ("\r\n" + part.format(b=self.boundary, kind="html")).encode(
            "ascii"
        )
        self.tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    def message_id(self, delivery_id: int, subscriber_id: int) -> str:
        """Our Message-ID for one reader's copy: the same on a resend, and
        kept on the ledger row so a relay's bounce report finds the row."""
        return f"<{self.edition_id}.{delivery_id}.{int_to_base36(subscriber_id)}@{self.domain}>"

    def personalise(
        self, *, delivery_id: int, subscriber_id: int, address: str, name: str = ""
    ) -> tuple[str, bytes]:
        """(envelope recipient, message bytes) for one reader."""
        to_addr = envelope_address(address)
        # Names are checked on the way in; one stored before that rule (or
        # around it) still gets its edition, on one line.
        name = one_line(name)
        # The links carry the edition (signed), so an unsubscribe is counted
        # for the edition it came from.
        unsubscribe = tokens.unsubscribe_token(
            subscriber_id, self.newsletter_id, self.token_edition
        )
        preferences = tokens.preferences_token(subscriber_id, self.token_edition)
        to_header = (
            email.utils.formataddr((name, to_addr), "utf-8") if name else to_addr
        )
        # Folded by hand before the mailto: these bytes skip the email
        # package, and nothing else may fold the URL.
        list_unsubscribe = emails.list_unsubscribe_header(
            self.unsubscribe_base.format(unsubscribe), unsubscribe, separator=",\r\n "
        )
        personal = (
            f"To: {to_header}\r\n"
            f"Message-ID: {self.message_id(delivery_id, subscriber_id)}\r\n"
            f"List-Unsubscribe: {list_unsubscribe}\r\n\r\n"
        ).encode("ascii")
        values = {
            self.unsubscribe_placeholder: unsubscribe.encode("ascii"),
            self.preferences_placeholder: preferences.encode("ascii"),
        }
        if self.reader_tokens is not None:
            values.update(self.reader_tokens.values(subscriber_id))
        return to_addr, b"".join(
            (
                self.head,
                personal,
                self.text_head,
                _fill(self.text_pieces, values),
                self.html_head,
                _fill(self.html_pieces, values),
                self.tail,
            )
        )

    @classmethod
    def for_edition(cls, edition):
        """From the rendering frozen when sending started."""
        return cls(
            edition,
            subject=edition.snapshot["rendered_subject"],
            text=edition.rendered_text,
            html=edition.rendered_html,
        )


class RawEmailMessage(EmailMessage):
    """Pre-built bytes handed to a non-SMTP mailer (console, file, locmem)."""

    def __init__(self, raw: bytes, from_email: str, to: str):
        super().__init__(from_email=from_email, to=[to])
        self.raw = raw

    def message(self, *, policy=email.policy.default):
        return email.message_from_bytes(self.raw, policy=policy)
