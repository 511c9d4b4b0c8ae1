"""Email templates and the messages built from them.

Every email is a triplet in templates/newsletter/emails/: `<name>-subject.txt`,
`<name>-body.txt` and `<name>-body.html`. The HTML gets its CSS inlined
(css-inline keeps the @media rules, dark mode and small screens, in a <style>
block: they cannot be inlined). Links are absolute on settings.SITE_URL, never on the
host of whatever request triggered the mail.
"""

import email.policy
import re
from email.utils import parseaddr

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from newsletter import tokens
from newsletter.templatetags.newsletter_text import wrap_lines
from newsroom.links import absolute_url

# The name mime.py and tasks.py call (their refactor moves them to absolute_url).

_inliner = None


_CHARSET = '<meta charset="utf-8">'


def inline_css(html: str) -> str:
    global _inliner
    if _inliner is None:
        # Every rule that can be is inlined; only the @media rules (dark
        # mode, narrow screens) stay in a <style> block, where clients that
        # support them read them. Remote stylesheets are never fetched.
        _inliner = css_inline.CSSInliner(
            keep_at_rules=True, load_remote_stylesheets=False
        )
    html = _inliner.inline(html)
    # The inliner puts that <style> block first in <head>; the charset must
    # come before any text a client reads, so it goes back to the top.
    if _CHARSET in html:
        html = html.replace(_CHARSET, "", 1).replace("<head>", "<head>" + _CHARSET, 1)
    return html


def unsubscribe_url(subscriber_id: int, newsletter_id: int | None) -> str:
    # Short root path on purpose: see tokens.py about header folding.
    token = tokens.unsubscribe_token(subscriber_id, newsletter_id)
    return absolute_url(reverse("one_click_unsubscribe", kwargs={"token": token}))


def preferences_url(subscriber_id: int) -> str:
    token = tokens.preferences_token(subscriber_id)
    return absolute_url(reverse("newsletter:preferences", kwargs={"token": token}))


def mail_domain() -> str:
    """The domain of our sender address: for Message-IDs and Feedback-ID."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def list_unsubscribe_header(url: str, token: str, *, separator: str = ", ") -> str:
    """The List-Unsubscribe value: the https URL, then a mailto if configured.

    For every message we send: transactional mail (tasks.py) and each
    reader's copy of an edition (mime.py)."""
    value = f"<{url}>"
    mailto = settings.NEWSLETTER["UNSUBSCRIBE_MAILTO"]
    if mailto:
        value += f"{separator}<mailto:{mailto}?subject=unsubscribe%20{token}>"
    return value


def base_context(**extra) -> dict:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "home_url": absolute_url("/"),
        **extra,
    }


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html with CSS inlined) for templates/newsletter/emails/<name>-*."""
    ctx = base_context(**context)
    subject = render_to_string(f"newsletter/emails/{name}-subject.txt", ctx)
    # A subject is one line whatever the template's whitespace.
    subject = " ".join(subject.split())
    text = render_to_string(f"newsletter/emails/{name}-body.txt", ctx)
    # Template tags leave blank lines and trailing spaces behind.
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = wrap_lines(text)
    html = inline_css(render_to_string(f"newsletter/emails/{name}-body.html", ctx))
    return subject, text.strip() + "\n", html


class Message(EmailMultiAlternatives):
    """Headers folded only past RFC 5322's hard limit of 998 characters.

    Python's email package folds at 78, and folds a long unbroken value (a
    List-Unsubscribe URL) into RFC 2047 encoded-words that mail providers
    then refuse as a one-click URL. 78 is a "should"; 998 is the "must".
    """

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def make_message(
    name: str,
    to: str,
    context: dict,
    *,
    headers: dict | None = None,
    from_email: str | None = None,
    reply_to: str = "",
) -> Message:
    """One transactional message from a template triplet, ready to send."""
    subject, text, html = render_email(name, context)
    message = Message(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else [],
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    return message
