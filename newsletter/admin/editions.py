"""The admin for editions: composing one (its briefs, in order), and the
record of one sent. Its own pages (preview, test, schedule, send) are in
edition_views.py."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Max
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from newsletter import sending, tasks
from newsletter.admin.edition_views import EditionViews
from newsletter.admin.forms import EditionItemForm, ScheduleForm, without_related_links
from newsletter.models import Edition, EditionItem, Newsletter
from newsroom import richtext


class EditionItemInline(admin.TabularInline):
    model = EditionItem
    form = EditionItemForm
    extra = 1
    autocomplete_fields = ["article"]
    verbose_name = "brief"
    verbose_name_plural = "briefs, in order"

    def get_queryset(self, request):
        # Each row's title is its brief's headline.
        return super().get_queryset(request).select_related("article")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A brief added goes after the others (0 would put it second, tied
        # with the first). The form class is made afresh for each request.
        last = obj.items.aggregate(last=Max("position"))["last"] if obj else None
        formset.form.base_fields["position"].initial = 0 if last is None else last + 1
        return formset

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return without_related_links(
            super().formfield_for_dbfield(db_field, request, **kwargs)
        )

    def _editable(self, obj):
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


def as_sent(edition) -> dict:
    """What subscribers received, from the snapshot frozen when sending
    started (a brief edited since does not change it)."""
    snapshot = edition.snapshot or {}
    if "items" in snapshot:
        items = snapshot["items"]
    else:  # never sent (cancelled): what it held
        items = [
            {"headline": i.article.headline, "url": i.article.get_absolute_url()}
            for i in edition.items.select_related("article")
        ]
    return {
        "subject": snapshot.get("subject", edition.subject),
        "preheader": snapshot.get("preheader", edition.preheader),
        # Cleaned when stored and again here (rows written around the model).
        "intro": richtext.render(snapshot.get("intro_html", edition.intro)),
        "items": items,
        "words": snapshot.get("words"),
        "minutes": snapshot.get("minutes"),
    }


def took(started, finished) -> str:
    if not (started and finished):
        return ""
    if finished - started < timedelta(minutes=1):
        return "in under a minute"
    return f"took {timesince(started, finished)}"


@admin.register(Edition)
class EditionAdmin(EditionViews, admin.ModelAdmin):
    list_display = ["subject", "newsletter", "state", "when", "delivered"]
    list_filter = ["newsletter", "status"]
    search_fields = ["subject"]
    inlines = [EditionItemInline]
    fields = ["newsletter", "subject", "preheader", "intro"]
    readonly_fields = ["intro_shown"]
    date_hierarchy = "created_at"
    # Only a sent edition has a public page; the template links it.
    view_on_site = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("newsletter")

    def has_change_permission(self, request, obj=None):
        # Sending, sent or cancelled: the record of what went out. Django
        # then shows the page read-only and refuses a POST to it.
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def may_send(self, request) -> bool:
        """Test, schedule, send and resume: for those who may change editions,
        whatever this one's state (a paused send is resumed, not edited)."""
        return super().has_change_permission(request)

    def get_inlines(self, request, obj):
        # A record lists the briefs as sent, from the snapshot.
        return self.inlines if obj is None or obj.is_editable else []

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return ["newsletter", "subject", "preheader", "intro_shown"]
        return self.fields

    @admin.display(description="Intro")
    def intro_shown(self, obj):
        return richtext.render(obj.intro) or "—"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return without_related_links(
            super().formfield_for_dbfield(db_field, request, **kwargs)
        )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        default = Newsletter.get_default()
        if default and "newsletter" not in initial:
            initial["newsletter"] = default.pk
        return initial

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A sent edition is part of the record (and of the archive).
        if obj is not None and obj.status in (
            Edition.Status.SENDING,
            Edition.Status.SENT,
        ):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Status", ordering="status")
    def state(self, obj):
        if obj.is_blocked:
            return format_html(
                '<strong title="{}">Paused</strong> ({})',
                obj.blocked_reply,
                obj.blocked_reason,
            )
        return obj.get_status_display()

    @admin.display(description="Time", ordering="started_at")
    def when(self, obj):
        if obj.status == Edition.Status.SCHEDULED:
            return f"scheduled {timezone.localtime(obj.scheduled_at):%Y-%m-%d %H:%M}"
        if obj.started_at:
            return f"{timezone.localtime(obj.started_at):%Y-%m-%d %H:%M}"
        return "—"

    @admin.display(description="Delivered")
    def delivered(self, obj):
        if obj.status == Edition.Status.SENT:
            return f"{obj.sent_count} sent, {obj.failed_count} failed"
        if obj.status == Edition.Status.SENDING:
            return format_html(
                '<progress max="{}" value="{}"></progress>',
                obj.recipients_count,
                obj.deliveries.filter(status="sent").count(),
            )
        return "—"

    def add_view(self, request, form_url="", extra_context=None):
        extra = {**self._send_context(request, scheduled=None), **(extra_context or {})}
        return super().add_view(request, form_url, extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        edition = self.get_object(request, unquote(object_id))
        if edition is not None and request.method == "POST" and not edition.is_editable:
            return self._refuse_change(request, edition)
        extra = dict(extra_context or {})
        if edition is not None:
            extra.update(self._page_context(request, edition))
        return super().change_view(request, object_id, form_url, extra)

    def _refuse_change(self, request, edition):
        """A POST from a page opened before sending started: say so, store
        nothing (the record stays what subscribers received)."""
        what = {
            Edition.Status.SENT: "has been sent",
            Edition.Status.CANCELLED: "was cancelled",
        }.get(edition.status, "is being sent")
        messages.error(
            request,
            f"“{edition.subject}” {what}, so it can no longer be changed: "
            "nothing was saved.",
        )
        return self._back(edition)

    def _page_context(self, request, edition) -> dict:
        if not edition.is_editable:
            return {
                "title": f"{edition.state_label} edition",
                "progress": sending.progress(edition.pk)
                if edition.status in (Edition.Status.SENDING, Edition.Status.SENT)
                else None,
                "as_sent": as_sent(edition),
                "may_send": self.may_send(request),
                "took": took(edition.started_at, edition.finished_at),
                "archive_url": edition.get_absolute_url()
                if edition.newsletter.is_public
                and edition.status in (Edition.Status.SENDING, Edition.Status.SENT)
                else None,
            }
        composing = self.has_change_permission(request, edition)
        items = edition.items.select_related("article")
        return {
            **self._send_context(request, scheduled=edition.scheduled_at),
            "title": "Compose edition" if composing else "View edition",
            "may_send": composing and self.may_send(request),
            "unpublished_items": [
                i.article for i in items if not i.article.is_published
            ],
        }

    def _send_context(self, request, *, scheduled) -> dict:
        """The Test and send panel under the form being composed."""
        when = scheduled and timezone.localtime(scheduled).strftime("%Y-%m-%dT%H:%M")
        return {
            "may_send": self.may_send(request),
            "show_save_and_add_another": False,
            "schedule_form": ScheduleForm(
                initial={"when": request.POST.get("when") or when}
            ),
            "can_defer": tasks.start_edition.get_backend().supports_defer,
        }

    def response_add(self, request, obj, post_url_continue=None):
        return self._after_save(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self._after_save(request, obj) or super().response_change(request, obj)

    def _after_save(self, request, edition):
        """The Send buttons submit the edition's form: saved, then acted on."""
        if not self.may_send(request):
            return None
        if "_send_test" in request.POST:
            self._send_test(request, edition, done="Saved. ")
        elif "_schedule" in request.POST:
            self._schedule(request, edition, done="Saved. ")
        elif "_send_now" in request.POST:
            return HttpResponseRedirect(
                reverse("admin:newsletter_edition_send", args=[edition.pk])
            )
        else:
            return None
        return self._back(edition)
