"""The editors' admin site: Django's, with a throttled login and a CSP that
lets the rich-text editor run without 'unsafe-inline'.

Failed logins are counted in the cache under two keys:

- (username, client address): a few attempts, then that pair waits. An
  attacker guessing an editor's password from elsewhere only blocks their own
  pair, so the editor can still log in from the editor's own address.
- client address alone, with a higher limit: one address cannot spray
  guesses across many usernames.

While a key is over its limit the password is not even checked (a correct
guess must not be told apart), the form says "Too many failed attempts, try
again in N minutes", and the response is 429 with a Retry-After header.
A successful login clears its (username, address) count.

Limits come from ADMIN_LOGIN_THROTTLE (see settings.py).

The editor (Tiptap inside django-prose-editor) injects one <style
data-tiptap-style> element holding Tiptap's base CSS. Admin responses allow
exactly that text by its hash; nothing else inline is allowed, and reader
pages do not get the hash at all.
"""

import hashlib
import logging
import math
import unicodedata
from functools import update_wrapper

from django.conf import settings
from django.contrib.admin import sites
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
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
    "WINDOW_SECONDS": 15 * 60,
}


def throttle_settings() -> dict:
    return DEFAULT_THROTTLE | getattr(settings, "ADMIN_LOGIN_THROTTLE", {})


def _username_key(username: str) -> str:
    # Case and compatibility forms are folded so "Editor" and "ｅditor" share
    # a count; hashed because the cache key must not hold arbitrary text.
    folded = unicodedata.normalize("NFKC", username).strip().casefold()
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()[:32]


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
        ip = rate_key(client_ip(self.request))
        pair_key = f"admin-login:pair:{_username_key(username)}:{ip}"
        ip_key = f"admin-login:ip:{ip}"
        # Count the attempt before checking the password, so that parallel
        # guesses cannot all slip in under the limit.
        pair_ok, pair_wait = ratelimit.hit(
            pair_key, int(config["FAILURES_PER_USER_AND_IP"]), window, sliding=True
        )
        ip_ok, ip_wait = ratelimit.hit(
            ip_key, int(config["FAILURES_PER_IP"]), window, sliding=True
        )
        if not (pair_ok and ip_ok):
            self.retry_after = max(pair_wait, ip_wait)
            logger.warning(
                "Admin login throttled for %s (%s limit).",
                ip,
                "address" if not ip_ok else "username and address",
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
        ratelimit.reset(pair_key, window)
        ratelimit.undo(ip_key, window)
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
            response = inner(request, *args, **kwargs)
            if not hasattr(response, "_csp_config"):  # a view's own choice wins
                response._csp_config = admin_csp()
            return response

        return update_wrapper(view_with_editor_csp, inner)

    def index(self, request, extra_context=None):
        context = {"dashboard": dashboard.panels(request), **(extra_context or {})}
        return super().index(request, context)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        retry_after = getattr(form, "retry_after", None)
        if retry_after:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
        return response
