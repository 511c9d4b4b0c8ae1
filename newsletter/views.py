import math

from django.conf import settings
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, ListView, TemplateView

from newsletter import compose, services, tokens
from newsletter.forms import PreferencesForm, SignupForm
from newsletter.models import Edition, Newsletter, Subscriber, Subscription
from newsroom import ratelimit
from newsroom.clientip import client_ip, rate_key
from newsroom.csrf import csrf_origin_checked

SIGNUP_SENT = (
    "Almost done: we have sent you an email. Open the link in it to confirm "
    "your subscription."
)
# Shown to everyone after a signup, whatever happened: an address on the
# suppression list gets no mail, and saying so only to that address would
# tell a stranger that it is one of ours.
NOT_MAILED = (
    "We never write to an address whose mail bounced, that reported our mail "
    "as spam, or that we were asked to stop mailing. If that may be the case "
    "for yours, use another address, or write to us to be put back."
)
RATE_LIMITED = (
    "Too many signups have come from your network in the last hour. "
    "Please try again in {wait}."
)
ADDRESS_LIMITED = (
    "This address has been entered here several times in the last hour. If it "
    "is yours, look for our email in your inbox (and your spam folder); you "
    "can try again in {wait}."
)


def signup_wait(key: str, setting: str) -> int:
    """Seconds until one more signup under `key` is allowed, 0 if it is now.

    Counted in the shared cache (newsroom/ratelimit.py), per hour; refused
    posts count too, so hammering the form earns nothing.
    """
    limit = settings.NEWSLETTER[setting]
    if not limit:
        return 0
    allowed, retry_after = ratelimit.hit(f"newsletter:signup:{key}", limit, 3600)
    return 0 if allowed else retry_after


def in_words(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def see_other(url: str) -> HttpResponseRedirect:
    """303: the browser follows a POST with a GET (POST, redirect, GET)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def edition_named(edition_id: int | None) -> Edition | None:
    """The edition a signed link names, if it still exists."""
    return Edition.objects.filter(pk=edition_id).first() if edition_id else None


# The form sits on every reader page, and reader pages are cached for
# everyone, so it cannot carry a CSRF token: the browser's Origin /
# Sec-Fetch-Site headers prove the POST came from our pages instead
# (newsroom/csrf.py). The honeypot, the per-IP limit and double opt-in stand
# against bots.
@method_decorator(csrf_origin_checked, name="dispatch")
class SignupView(View):
    template_name = "newsletter/signup.html"

    def get(self, request):
        form = SignupForm(
            with_lists=True,
            initial={"source": Subscription.Source.SIGNUP_PAGE},
        )
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        with_lists = request.POST.get("source") == Subscription.Source.SIGNUP_PAGE
        form = SignupForm(request.POST, with_lists=with_lists)
        # Per client (a spoofed X-Forwarded-For cannot pick the address:
        # newsroom/clientip.py), then per address however many clients.
        wait = signup_wait(
            f"ip:{rate_key(client_ip(request))}", "SIGNUPS_PER_IP_PER_HOUR"
        )
        if wait:
            return self.limited(request, RATE_LIMITED, wait)
        if form.is_bot:
            # Same answer as a real signup: a bot learns nothing to adapt to.
            return self.success(request, form)
        if not form.is_valid():
            return self.invalid(request, form)
        wait = signup_wait(
            f"address:{form.cleaned_data['email']}", "SIGNUPS_PER_ADDRESS_PER_HOUR"
        )
        if wait:
            return self.limited(request, ADDRESS_LIMITED, wait)
        newsletters = form.chosen_newsletters()
        if not newsletters:
            return self.refuse(
                request, form, "Signups are closed: there is no newsletter yet.", 503
            )
        services.signup(
            form.cleaned_data["email"],
            newsletters,
            source=form.cleaned_data["source"],
            source_url=form.cleaned_data["next"],
        )
        return self.success(request, form)

    def success(self, request, form):
        if wants_json(request):
            return JsonResponse(
                {"ok": True, "message": SIGNUP_SENT, "note": NOT_MAILED}
            )
        url = reverse("newsletter:check_inbox")
        page = safe_next(request, request.POST.get("next", ""))
        return see_other(f"{url}?{urlencode({'next': page})}" if page else url)

    def invalid(self, request, form):
        if wants_json(request):
            errors = {
                name: [str(e) for e in errs] for name, errs in form.errors.items()
            }
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        form = SignupForm(request.POST, with_lists=True)
        form.is_valid()
        return render(request, self.template_name, {"form": form}, status=400)

    def refuse(self, request, form, message, status):
        if wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=status)
        return render(
            request,
            self.template_name,
            {"form": SignupForm(request.POST, with_lists=True), "refusal": message},
            status=status,
        )

    def limited(self, request, message, wait: int):
        """429 with Retry-After, the form as typed, and when to come back."""
        response = self.refuse(request, None, message.format(wait=in_words(wait)), 429)
        response["Retry-After"] = str(wait)
        return response


class CheckInboxView(TemplateView):
    template_name = "newsletter/check_inbox.html"

    def get_context_data(self, **kwargs):
        page = safe_next(self.request, self.request.GET.get("next", ""))
        return super().get_context_data(
            next=page, message=SIGNUP_SENT, note=NOT_MAILED, **kwargs
        )


# Pages opened from a link in an email: no CSRF cookie needed (it would lock
# out readers who block cookies); the browser's Origin header proves the
# POST came from the page itself. Never cached: they are personal.
@method_decorator([csrf_origin_checked, never_cache], name="dispatch")
class ConfirmView(View):
    """GET shows a button, only POST confirms: mail scanners open links."""

    template_name = "newsletter/confirm.html"

    def subscriber(self, token):
        try:
            subscriber_id = tokens.read_confirmation_token(token)
        except tokens.ConfirmationExpired:
            return None, "expired"
        if subscriber_id is None:
            return None, "invalid"
        subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
        return subscriber, ("ok" if subscriber else "invalid")

    def get(self, request, token):
        subscriber, state = self.subscriber(token)
        if subscriber is None:
            status = 410 if state == "expired" else 400
            return render(request, self.template_name, {"state": state}, status=status)
        subscriptions = list(
            subscriber.subscriptions.select_related("newsletter").filter(
                status__in=[Subscription.Status.PENDING, Subscription.Status.CONFIRMED]
            )
        )
        pending = [s.newsletter for s in subscriptions if not s.is_confirmed]
        confirmed = [s.newsletter for s in subscriptions if s.is_confirmed]
        if pending:
            state = "ask"
        elif confirmed:
            state = "done"
        else:
            state = "nothing"
        return render(
            request,
            self.template_name,
            {
                "state": state,
                "subscriber": subscriber,
                "pending": pending,
                "confirmed": confirmed,
                "preferences_token": tokens.preferences_token(subscriber.pk),
            },
        )

    def post(self, request, token):
        subscriber, state = self.subscriber(token)
        if subscriber is None:
            status = 410 if state == "expired" else 400
            return render(request, self.template_name, {"state": state}, status=status)
        services.confirm(subscriber)
        return see_other(reverse("newsletter:confirm", kwargs={"token": token}))


@method_decorator([csrf_origin_checked, never_cache], name="dispatch")
class PreferencesView(View):
    template_name = "newsletter/preferences.html"

    def dispatch(self, request, token):
        found = tokens.read_preferences(token)
        self.subscriber = (
            Subscriber.objects.filter(pk=found[0]).first() if found else None
        )
        # The edition whose link opened the page: leaving counts for it.
        self.edition = edition_named(found[1] if found else None)
        if self.subscriber is None:
            return render(request, self.template_name, {"state": "invalid"}, status=400)
        self.token = token
        return super().dispatch(request, token)

    def current(self):
        return Newsletter.objects.filter(
            subscriptions__subscriber=self.subscriber,
            subscriptions__status=Subscription.Status.CONFIRMED,
        )

    @cached_property
    def awaiting(self) -> list[Newsletter]:
        """Lists asked for again after a bounce or complaint, waiting for
        the reader to open the confirmation email."""
        pending = self.subscriber.subscriptions.filter(
            status=Subscription.Status.PENDING, newsletter__is_public=True
        ).select_related("newsletter")
        return [s.newsletter for s in pending if services.needs_fresh_opt_in(s)]

    def get(self, request, token):
        # Ticked: what they receive, and what they asked for again and only
        # have to confirm (saving as it stands must not withdraw it).
        form = PreferencesForm(
            initial={"newsletters": [*self.current(), *self.awaiting]}
        )
        return self.show(form, saved=request.GET.get("saved"))

    def post(self, request, token):
        if "unsubscribe_all" in request.POST:
            services.unsubscribe(
                self.subscriber, None, source="preferences page", edition=self.edition
            )
            return see_other(f"{request.path}?saved=all")
        form = PreferencesForm(request.POST)
        if not form.is_valid():
            return self.show(form, status=400)
        services.set_preferences(
            self.subscriber, form.cleaned_data["newsletters"], edition=self.edition
        )
        return see_other(f"{request.path}?saved=1")

    def show(self, form, status=200, saved=None):
        awaiting = self.awaiting
        return render(
            self.request,
            self.template_name,
            {
                "state": "ok",
                "form": form,
                "subscriber": self.subscriber,
                "saved": saved,
                "subscribed_any": self.current().exists(),
                "awaiting": awaiting,
                "awaiting_ids": [n.pk for n in awaiting],
            },
            status=status,
        )


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class OneClickUnsubscribeView(View):
    """RFC 8058: a POST with no cookie and no CSRF token unsubscribes at once
    and answers 200 (mail providers do not follow redirects); a GET, which
    link scanners also make, only shows a confirm button."""

    template_name = "newsletter/unsubscribe.html"

    def resolve(self, token):
        parsed = tokens.read_unsubscribe(token)
        if parsed is None:
            return None
        subscriber_id, newsletter_id, edition_id = parsed
        self.edition = edition_named(edition_id)
        subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
        newsletter = (
            Newsletter.objects.filter(pk=newsletter_id).first()
            if newsletter_id
            else None
        )
        if newsletter_id and newsletter is None:
            return None
        return {"subscriber": subscriber, "newsletter": newsletter}

    def get(self, request, token):
        found = self.resolve(token)
        if found is None:
            return render(request, self.template_name, {"state": "invalid"}, status=400)
        return render(request, self.template_name, {"state": "ask", **found})

    def post(self, request, token):
        found = self.resolve(token)
        if found is None:
            return render(request, self.template_name, {"state": "invalid"}, status=400)
        subscriber = found["subscriber"]
        if subscriber is not None:
            services.unsubscribe(
                subscriber,
                found["newsletter"],
                source="one-click"
                if request.POST.get("List-Unsubscribe") == "One-Click"
                else "unsubscribe page",
                edition=self.edition,
            )
        preferences = tokens.preferences_token(subscriber.pk) if subscriber else ""
        return render(
            request,
            self.template_name,
            {"state": "done", "preferences_token": preferences, **found},
        )


class ArchiveIndexView(ListView):
    template_name = "newsletter/archive_index.html"
    context_object_name = "editions"
    paginate_by = 20

    def get_queryset(self):
        return Edition.objects.archived().order_by("-started_at", "-pk")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            newsletters=Newsletter.objects.filter(is_public=True), **kwargs
        )


class ArchiveListView(ArchiveIndexView):
    template_name = "newsletter/archive_list.html"

    def get_queryset(self):
        self.newsletter = get_object_or_404(
            Newsletter, slug=self.kwargs["slug"], is_public=True
        )
        return super().get_queryset().filter(newsletter=self.newsletter)

    def get_context_data(self, **kwargs):
        return super().get_context_data(newsletter=self.newsletter, **kwargs)


class ArchiveDetailView(DetailView):
    template_name = "newsletter/archive_detail.html"
    context_object_name = "edition"

    def get_queryset(self):
        return Edition.objects.archived().filter(newsletter__slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        snapshot = self.object.snapshot
        if not snapshot.get("items"):
            raise Http404("This edition has no content.")
        return super().get_context_data(
            issue=compose.snapshot_context(snapshot), **kwargs
        )
