"""CSRF protection that also works for forms on cached pages.

Reader pages are cached whole and served to everyone, so they cannot carry a
per-visitor CSRF token. Forms on them (the newsletter signup) are protected by
the browser's own statement of where a request comes from instead: every
current browser sends `Origin` on a POST (and `Sec-Fetch-Site`); a forged
cross-site POST carries the attacker's origin and is refused. This is the
"verify origin with standard headers" defence in OWASP's CSRF cheat sheet.

Views opt in with @csrf_origin_checked; every other view keeps Django's token
check unchanged. A request with neither header falls back to the token check,
so it is never weaker than Django's default.
"""

from functools import wraps

from django.middleware.csrf import REASON_BAD_ORIGIN
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware

REASON_CROSS_SITE = "Sec-Fetch-Site says this request came from another site."


def csrf_origin_checked(view):
    """Accept POSTs proven same-origin by Origin/Sec-Fetch-Site, no token needed."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    wrapper.csrf_origin_checked = True
    return wrapper


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        if (
            getattr(callback, "csrf_origin_checked", False)
            and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
            and not getattr(request, "csrf_processing_done", False)
        ):
            origin = request.META.get("HTTP_ORIGIN")
            fetch_site = request.META.get("HTTP_SEC_FETCH_SITE")
            if origin and origin != "null":
                if not self._origin_verified(request):
                    return self._reject(request, REASON_BAD_ORIGIN % origin)
                return self._accept(request)
            if fetch_site in ("same-origin", "none"):
                return self._accept(request)
            if fetch_site in ("cross-site", "same-site"):
                return self._reject(request, REASON_CROSS_SITE)
        return super().process_view(request, callback, callback_args, callback_kwargs)
