"""An edition's own pages in the admin, beside its change form: preview
(HTML and text), send a test, schedule and unschedule, send, resume a paused
send, the progress the page polls while it goes out, and its results
(edition_results.py).

Each acts through newsletter.sending; the change form's buttons (editions.py)
reach the same code after saving what was typed."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override

from newsletter import compose, proofs, scheduling, sending, starting, tasks
from newsletter.admin import edition_results
from newsletter.admin.forms import ScheduleForm
from newsletter.models import Edition, Subscription
from newsroom.admin_pages import AdminPageMixin

S = Subscription.Status

# The preview is our own email HTML: inline styles are how email works, and
# the page runs no script at all.
PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "https:", "data:"],
    "frame-ancestors": [CSP.SELF],
    "form-action": [CSP.NONE],
    "base-uri": [CSP.NONE],
}


class EditionViews(AdminPageMixin):
    """The views EditionAdmin adds to the admin's URLs (see get_urls)."""

    def get_urls(self):
        return [
            *self.admin_urls(
                ("<path:object_id>/preview/", self.preview_view, "preview"),
                (
                    "<path:object_id>/preview.txt",
                    self.preview_text_view,
                    "preview_text",
                ),
                ("<path:object_id>/send-test/", self.send_test_view, "send_test"),
                ("<path:object_id>/schedule/", self.schedule_view, "schedule"),
                ("<path:object_id>/unschedule/", self.unschedule_view, "unschedule"),
                ("<path:object_id>/send/", self.send_view, "send"),
                ("<path:object_id>/resume/", self.resume_view, "resume"),
                ("<path:object_id>/progress.json", self.progress_view, "progress"),
                ("<path:object_id>/results/", self.results_view, "results"),
                ("<path:object_id>/results.csv", self.results_csv_view, "results_csv"),
            ),
            *super().get_urls(),
        ]

    def _edition(self, request, object_id, *, change=False) -> Edition:
        edition = self.get_object(request, unquote(object_id))
        if edition is None:
            raise Http404("No such edition.")
        allowed = (
            self.may_send(request)
            if change
            else self.has_view_permission(request, edition)
        )
        if not allowed:
            raise PermissionDenied
        return edition

    def results_view(self, request, object_id):
        edition = self._edition(request, object_id)
        return edition_results.results_view(self, request, edition)

    def results_csv_view(self, request, object_id):
        return edition_results.results_csv_view(self._edition(request, object_id))

    def _back(self, edition):
        return HttpResponseRedirect(
            reverse("admin:newsletter_edition_change", args=[edition.pk])
        )

    def _rendered(self, edition):
        snapshot = (
            compose.build_snapshot(edition) if edition.is_editable else edition.snapshot
        )
        links = {"unsubscribe": "#unsubscribe", "preferences": "#preferences"}
        return compose.render(snapshot, links) if snapshot.get("items") else None

    def preview_view(self, request, object_id):
        edition = self._edition(request, object_id)
        rendered = self._rendered(edition)
        if rendered is None:
            return HttpResponse(
                "<p>Add a published brief to this edition to preview it.</p>"
            )
        return HttpResponse(rendered[2])

    preview_view = csp_override(PREVIEW_CSP)(preview_view)

    def preview_text_view(self, request, object_id):
        edition = self._edition(request, object_id)
        rendered = self._rendered(edition)
        text = rendered[1] if rendered else "Add a published brief to preview it."
        subject = rendered[0] if rendered else ""
        return HttpResponse(
            f"Subject: {subject}\n\n{text}", content_type="text/plain; charset=utf-8"
        )

    def _posted(self, request, object_id) -> Edition:
        """The edition a button acts on: buttons post, and need the right to send."""
        if request.method != "POST":
            raise PermissionDenied("Use the buttons on the edition's page.")
        return self._edition(request, object_id, change=True)

    def send_test_view(self, request, object_id):
        edition = self._posted(request, object_id)
        self._send_test(request, edition)
        return self._back(edition)

    def _send_test(self, request, edition, done=""):
        address = request.user.email
        if not address:
            messages.error(
                request,
                f"{done}Your account has no email address: add one to your user.",
            )
            return
        try:
            proofs.send_test(edition, address)
        except starting.EditionEmpty as exc:
            messages.error(request, f"{done}{exc}")
        except ValueError as exc:
            messages.error(request, f"{done}Cannot send to {address}: {exc}")
        except Exception as exc:  # SMTP and network errors: say what happened
            messages.error(request, f"{done}The test could not be sent: {exc}")
        else:
            messages.success(request, f"{done}A test copy was sent to {address}.")

    def schedule_view(self, request, object_id):
        edition = self._posted(request, object_id)
        self._schedule(request, edition)
        return self._back(edition)

    def _schedule(self, request, edition, done=""):
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"{done}Enter a date and time to send at.")
            return
        when = form.cleaned_data["when"]
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        try:
            scheduling.schedule(edition, when)
        except (scheduling.ScheduleError, starting.EditionEmpty) as exc:
            messages.error(request, f"{done}{exc}")
        else:
            messages.success(
                request,
                f"{done}Scheduled for {timezone.localtime(when):%A %d %B %Y at %H:%M}.",
            )

    def unschedule_view(self, request, object_id):
        edition = self._posted(request, object_id)
        scheduling.unschedule(edition)
        messages.success(
            request, "The schedule is cancelled; the edition is a draft again."
        )
        return self._back(edition)

    def send_view(self, request, object_id):
        edition = self._edition(request, object_id, change=True)
        audience = Subscription.objects.filter(
            newsletter=edition.newsletter, status=S.CONFIRMED
        ).count()
        items = compose.published_items(edition)
        if request.method == "POST":
            if not edition.is_editable:
                messages.info(request, "This edition is already being sent.")
                return self._back(edition)
            try:
                tasks.start(edition.pk)
            except starting.EditionEmpty as exc:
                messages.error(request, str(exc))
            else:
                edition.refresh_from_db(fields=["status"])
                # With a backend that runs tasks at once it is already done.
                done = edition.status == Edition.Status.SENT
                messages.success(
                    request,
                    f"Sent to {audience} subscribers."
                    if done
                    else f"Sending to {audience} subscribers has started.",
                )
            return self._back(edition)
        return TemplateResponse(
            request,
            "newsletter/admin/edition_send.html",
            self.page_context(
                request,
                f"Send “{edition.subject}”?",
                original=edition,
                audience=audience,
                items=items,
                unpublished=edition.items.count() - len(items),
            ),
        )

    def resume_view(self, request, object_id):
        edition = self._posted(request, object_id)
        reply = edition.blocked_reply
        if tasks.resume(edition.pk, by=str(request.user)):
            self.log_change(
                request, edition, f"Resumed sending after a pause ({reply[:150]})."
            )
            messages.success(
                request,
                "Sending has resumed. If the mail server still refuses, it pauses "
                "again after a few messages; nobody is unsubscribed either way.",
            )
        else:
            messages.info(request, "This edition is not paused.")
        return self._back(edition)

    def progress_view(self, request, object_id):
        edition = self._edition(request, object_id)
        return JsonResponse(
            {
                "status": edition.status,
                "status_label": edition.state_label,
                "blocked": edition.is_blocked,
                "blocked_at": edition.blocked_at and edition.blocked_at.isoformat(),
                "blocked_check": edition.blocked_check,
                "blocked_reply": edition.blocked_reply,
                **sending.progress(edition.pk),
            }
        )
