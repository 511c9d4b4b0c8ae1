"""The editors' admin site: Django's, with a throttled login and a CSP that
lets the rich-text editor run without 'unsafe-inline'.

Login lockout, by account and by address, with trusted browsers (OWASP's
"device cookie" pattern):

- A successful login gives the browser a device cookie (`admin_device`:
  signed with SECRET_KEY, HttpOnly, SameSite=Strict, sent only to the login
  page, valid 90 days and renewed at each login). It holds a random id and a
  hash of the username, so it vouches for that browser and that account
  only, and names no one.
- A trusted browser, one whose valid cookie was given for the username being
  typed, is limited by its own count only: a few failures
  (FAILURES_PER_DEVICE) and its cookie counts for nothing until they age
  out. Its attempts are not counted against the address or the account, and
  no other count stops it: an editor gets in from their own browser while
  their office address, or their account, is locked.
- Every other attempt comes from an untrusted browser. Those are counted
  under three keys, and past any limit the attempt is refused:
    (username, address)  a few (FAILURES_PER_USER_AND_IP);
    address              more (FAILURES_PER_IP): one address cannot spray
                         guesses across many usernames;
    username             more (FAILURES_PER_USER), from every address
                         together: many addresses cannot guess at one
                         account, and this lock is the reason for device
                         cookies, since it would otherwise be a way to lock
                         an editor out from anywhere.
  An editor in a browser without the cookie (a new laptop, cookies cleared)
  is an untrusted browser like any other: while their address or account is
  locked they wait too. The server has nothing that tells them from an
  attacker at the same address, and letting a right password through a
  lock means checking passwords for the attacker as well.

While refused, the password is not even checked (a correct guess must not
be told apart), the form says "Too many failed attempts, try again in N
minutes", and the response is 429 with a Retry-After header. Attempts are
counted before the password is checked, so parallel guesses cannot slip in
under a limit; a successful login takes its attempt back.

Behind a load balancer that is not in TRUSTED_PROXIES every request has the
balancer's address: the address limit then locks out every untrusted
browser at once, and only trusted ones get in (`check --deploy` warns:
newsroom.W004).

Limits come from ADMIN_LOGIN_THROTTLE (see settings.py).

The editor (Tiptap inside django-prose-editor) injects one <style
data-tiptap-style> element holding Tiptap's base CSS. Admin responses allow
exactly that text by its hash; nothing else inline is allowed, and reader
pages do not get the hash at all.
"""

import hashlib
import logging
import math
import secrets
import unicodedata
from functools import update_wrapper

from django.conf import settings
from django.contrib.admin import sites
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.csp import CSP
from django.utils.translation import ngettext

from newsroom import dashboard, ratelimit
from newsroom.clientip import client_ip, rate_key

logger = logging.getLogger(__name__)

# sha256 of Tiptap's base CSS as shipped in django-prose-editor 0.28.0's
# editor.js (the template literal starting ".ProseMirror {"). An upgrade that
# changes that text fails tests/newsroom/test_admin_csp.py, which prints the new
# hash, and tests/browser/test_csp.py, where Chromium reports the violation.
EDITOR_STYLE_HASHES = ("'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='",)

DEFAULT_THROTTLE = {
    "FAILURES_PER_USER_AND_IP": 5,
    "FAILURES_PER_IP": 50,
    "FAILURES_PER_USER": 20,
    "FAILURES_PER_DEVICE": 5,
    "WINDOW_SECONDS": 15 * 60,
}

DEVICE_COOKIE = "admin_device"
DEVICE_COOKIE_SALT = "newsroom.admin_site.device"
DEVICE_COOKIE_AGE = 90 * 24 * 3600


def throttle_settings() -> dict:
    return DEFAULT_THROTTLE | getattr(settings, "ADMIN_LOGIN_THROTTLE", {})


def _username_key(username: str) -> str:
    # Case and compatibility forms are folded so "Editor" and "ｅditor" share
    # a count; hashed because the cache key must not hold arbitrary text.
    folded = unicodedata.normalize("NFKC", username).strip().casefold()
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def trusted_device(request, username: str) -> str | None:
    """The id of the device cookie `request` carries for `username`, if it
    carries a valid one."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_AGE
    )
    account, _, device = (value or "").partition(":")
    if not device or not secrets.compare_digest(account, _username_key(username)):
        return None
    return device


def give_device_cookie(request, response, username: str) -> None:
    """Trust this browser for `username` from now on (after a login)."""
    response.set_signed_cookie(
        DEVICE_COOKIE,
        f"{_username_key(username)}:{secrets.token_urlsafe(16)}",
        salt=DEVICE_COOKIE_SALT,
        max_age=DEVICE_COOKIE_AGE,
        path=request.path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": "Too many failed attempts, try again in %(minutes)s.",
    }

    #: Seconds until another attempt is accepted; set when refused.
    retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            # Nothing to check: the field errors say what is missing.
            return super().clean()

        config = throttle_settings()
        window = int(config["WINDOW_SECONDS"])
        # Count the attempt before checking the password, so that parallel
        # guesses cannot all slip in under the limit.
        device = trusted_device(self.request, username)
        if device is not None:
            device_key = f"admin-login:device:{device}"
            allowed, _ = ratelimit.hit(
                device_key, int(config["FAILURES_PER_DEVICE"]), window, sliding=True
            )
            if allowed:
                cleaned = super().clean()
                ratelimit.reset(device_key, window)
                return cleaned
            # Too many failures from this browser: it is trusted no more
            # (until they age out), and meets the limits of any other.
            logger.warning("Admin login: a trusted browser is over its limit.")

        ip = rate_key(client_ip(self.request))
        user = _username_key(username)
        keys = {
            "username at address": (
                f"admin-login:pair:{user}:{ip}",
                config["FAILURES_PER_USER_AND_IP"],
            ),
            "address": (f"admin-login:ip:{ip}", config["FAILURES_PER_IP"]),
            "username": (f"admin-login:user:{user}", config["FAILURES_PER_USER"]),
        }
        waits = {
            name: ratelimit.hit(key, int(limit), window, sliding=True)[1]
            for name, (key, limit) in keys.items()
        }
        if any(waits.values()):
            self.retry_after = max(waits.values())
            logger.warning(
                "Admin login throttled for %s (limit: %s).",
                ip,
                ", ".join(name for name, wait in waits.items() if wait),
            )
            minutes = max(1, math.ceil(self.retry_after / 60))
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={
                    "minutes": ngettext("%d minute", "%d minutes", minutes) % minutes
                },
            )

        cleaned = super().clean()
        # Success: this attempt was not a failure after all.
        ratelimit.reset(keys["username at address"][0], window)
        ratelimit.undo(keys["address"][0], window)
        ratelimit.undo(keys["username"][0], window)
        return cleaned


def admin_csp() -> dict:
    """SECURE_CSP plus the editor's style hash (empty if CSP is off)."""
    policy = dict(settings.SECURE_CSP or {})
    if not policy:
        return policy
    styles = policy.get("style-src") or policy.get("default-src") or [CSP.SELF]
    policy["style-src"] = [*styles, *EDITOR_STYLE_HASHES]
    return policy


class NewsroomAdminSite(sites.AdminSite):
    login_form = ThrottledAdminAuthenticationForm

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def view_with_editor_csp(request, *args, **kwargs):
            if any("\x00" in value for value in request.GET.values()):
                response = self.refuse_nul(request)
            else:
                response = inner(request, *args, **kwargs)
            if not hasattr(response, "_csp_config"):  # a view's own choice wins
                response._csp_config = admin_csp()
            return response

        return update_wrapper(view_with_editor_csp, inner)

    def refuse_nul(self, request):
        """A NUL in the query string: Django's list filters, search and
        autocomplete hand values to the database, and PostgreSQL refuses NUL
        in text with an error, so say what is wrong before any of them runs."""
        context = {**self.each_context(request), "title": "Bad address"}
        return TemplateResponse(request, "admin/nul_query.html", context, status=400)

    def index(self, request, extra_context=None):
        context = {"dashboard": dashboard.panels(request), **(extra_context or {})}
        return super().index(request, context)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and response.status_code == 302
            and request.user.is_authenticated
        ):
            # Logged in by this very request.
            give_device_cookie(request, response, request.user.get_username())
            return response
        form = (getattr(response, "context_data", None) or {}).get("form")
        retry_after = getattr(form, "retry_after", None)
        if retry_after:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
        return response
