"""Signed links in mail: confirm, preferences and one-click unsubscribe.

Preference and unsubscribe tokens are compact on purpose: they sit in the
List-Unsubscribe header, and a header longer than a line gets folded by
Python's email package into RFC 2047 encoded-words, which mail providers do
not accept as a one-click URL. `<id36>.<list36>.<mac>` with a 96-bit HMAC is
about 25 characters. They do not expire (every old email must still let its
reader leave) and use only URL- and quoted-printable-safe characters.
Confirmation links expire (NEWSLETTER_CONFIRM_MAX_AGE_DAYS).
"""

import base64
import hmac

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.http import base36_to_int, int_to_base36

_MAC_BYTES = 12
_MAC_CHARS = 16  # base64 of 12 bytes, no padding
_ID_CHARS = 13  # base36 of the largest 64-bit id
# The longest tokens can be: the sender sizes its placeholders to them
# (with the edition the link came in, see unsubscribe_token).
UNSUBSCRIBE_MAX = _ID_CHARS + 1 + _ID_CHARS + 1 + _ID_CHARS + 1 + _MAC_CHARS
PREFERENCES_MAX = _ID_CHARS + 1 + _ID_CHARS + 1 + _MAC_CHARS
_CONFIRM_SALT = "newsletter.confirm"


def _mac(purpose: str, value: str, secret: str | None = None) -> str:
    digest = salted_hmac(
        f"newsletter.{purpose}", value, secret=secret, algorithm="sha256"
    ).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _verify(purpose: str, value: str, mac: str) -> bool:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        hmac.compare_digest(_mac(purpose, value, secret), mac) for secret in secrets
    )


def _ints(parts: list[str]) -> list[int] | None:
    try:
        return [base36_to_int(part) for part in parts]
    except ValueError:
        return None


def _read(purpose: str, token: str, *counts: int) -> list[int] | None:
    """The ids of an `<id36>[.<id36>...].<mac>` token with one of `counts` ids,
    or None if it is malformed or its MAC is not ours."""
    parts = token.split(".")
    ids, mac = parts[:-1], parts[-1]
    if len(ids) not in counts or any(len(p) > _ID_CHARS for p in ids):
        return None
    numbers = _ints(ids)
    if numbers is None or not _verify(purpose, ".".join(ids), mac):
        return None
    return numbers


def unsubscribe_token(
    subscriber_id: int, newsletter_id: int | None, edition_id: int | None = None
) -> str:
    """Token for leaving one list (or every list when newsletter_id is None).

    With `edition_id` (the links in an edition) the token also names the
    edition, under the same MAC, so the unsubscribe is counted for it and
    nobody can put another edition's number in it."""
    value = f"{int_to_base36(subscriber_id)}.{int_to_base36(newsletter_id or 0)}"
    if edition_id:
        value += f".{int_to_base36(edition_id)}"
    return f"{value}.{_mac('unsubscribe', value)}"


def read_unsubscribe(token: str) -> tuple[int, int | None, int | None] | None:
    """(subscriber_id, newsletter_id or None, edition_id or None), or None if forged."""
    ids = _read("unsubscribe", token, 2, 3)
    if ids is None:
        return None
    edition_id = ids[2] if len(ids) == 3 else None
    return ids[0], (ids[1] or None), (edition_id or None)


def read_unsubscribe_token(token: str) -> tuple[int, int | None] | None:
    """(subscriber_id, newsletter_id or None for all lists), or None if forged."""
    found = read_unsubscribe(token)
    return found[:2] if found else None


def preferences_token(subscriber_id: int, edition_id: int | None = None) -> str:
    value = int_to_base36(subscriber_id)
    if edition_id:
        value += f".{int_to_base36(edition_id)}"
    return f"{value}.{_mac('preferences', value)}"


def read_preferences(token: str) -> tuple[int, int | None] | None:
    """(subscriber_id, the edition the link came in or None), or None if forged."""
    ids = _read("preferences", token, 1, 2)
    if ids is None:
        return None
    return ids[0], ((ids[1] or None) if len(ids) == 2 else None)


def read_preferences_token(token: str) -> int | None:
    found = read_preferences(token)
    return found[0] if found else None


class ConfirmationExpired(Exception):
    pass


def confirmation_token(subscriber_id: int) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT, algorithm="sha256").sign(
        int_to_base36(subscriber_id)
    )


def read_confirmation_token(token: str) -> int | None:
    """The subscriber id; ConfirmationExpired if the link is too old."""
    max_age = settings.NEWSLETTER["CONFIRM_MAX_AGE_DAYS"] * 86400
    signer = signing.TimestampSigner(salt=_CONFIRM_SALT, algorithm="sha256")
    try:
        value = signer.unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise ConfirmationExpired from None
    except signing.BadSignature:
        return None
    ids = _ints([value])
    return ids[0] if ids else None
