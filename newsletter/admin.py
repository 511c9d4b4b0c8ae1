"""The newsletter admin: lists, subscribers (import, export, activity chart)
and editions (compose, preview, send a test, schedule, send, watch progress)."""

import csv
import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.views.decorators.csp import csp_override

from articles.models import Section
from newsletter import (
    admin_results,
    compose,
    imports,
    privacy,
    sending,
    services,
    stats,
    tasks,
)
from newsletter.models import (
    Edition,
    EditionItem,
    Newsletter,
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
)
from newsroom import richtext

S = Subscription.Status


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_default", "is_public", "confirmed", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                confirmed_count=Count(
                    "subscriptions", filter=Q(subscriptions__status=S.CONFIRMED)
                )
            )
        )

    @admin.display(description="Confirmed subscribers", ordering="confirmed_count")
    def confirmed(self, obj):
        return obj.confirmed_count

    def get_deleted_objects(self, objs, request):
        # A list that sent editions or has subscribers stays, for everyone:
        # say what keeps it and what to do instead, without loading every
        # subscription into the page (as Django's own listing would).
        kept = self.kept_because(objs)
        if kept:
            return [], {}, set(), kept
        return super().get_deleted_objects(objs, request)

    def kept_because(self, objs) -> list[str]:
        ids = [obj.pk for obj in objs]
        reasons = [
            f"Sent edition “{e.subject}”: kept as the record of what "
            "subscribers received. To retire the newsletter, untick "
            "“Is public” instead: it leaves the signup and preferences pages."
            for e in Edition.objects.filter(
                newsletter__in=ids,
                status__in=[Edition.Status.SENDING, Edition.Status.SENT],
            )
        ]
        counts = (
            Subscription.objects.filter(newsletter__in=ids)
            .values_list("newsletter__name")
            .annotate(n=Count("pk"))
            .order_by("newsletter__name")
        )
        for name, n in counts:
            what = "subscription and its" if n == 1 else "subscriptions and their"
            reasons.append(
                f"{n} {what} consent history: the record of who agreed to "
                f"receive “{name}”, and when. To retire the list, untick "
                "“Is public”: it leaves the signup and preferences pages. "
                "To remove a reader’s personal data, use “Erase personal "
                "data” on the Subscribers page; their anonymous history stays."
            )
        return reasons


# Subscribers -----------------------------------------------------------


class ListStatusFilter(admin.SimpleListFilter):
    """One filter for “on this list, in this state” (two separate filters on a
    many-valued relation would match different subscriptions)."""

    title = "list and status"
    parameter_name = "on"

    def lookups(self, request, model_admin):
        return [
            (f"{n.pk}:{status}", f"{n.name}: {label.lower()}")
            for n in Newsletter.objects.all()
            for status, label in S.choices
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        newsletter_id, _, status = self.value().partition(":")
        if not newsletter_id.isdigit() or status not in S.values:
            return queryset.none()
        return queryset.filter(
            subscriptions__newsletter_id=int(newsletter_id),
            subscriptions__status=status,
        )


class SubscriptionForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Consent given for one list is not consent to another: a
            # subscription's list is fixed once it exists.
            self.fields["newsletter"].disabled = True


class SubscriptionInline(admin.TabularInline):
    """A reader's lists. No Delete box, for anyone: a subscription and its
    consent history stay (set the status to Unsubscribed instead)."""

    model = Subscription
    form = SubscriptionForm
    extra = 0
    fields = [
        "newsletter",
        "status",
        "source",
        "source_url",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    readonly_fields = [
        "source",
        "source_url",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "newsletter" and formfield is not None:
            # Lists are managed on their own page, not from a reader's.
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = False
        return formfield


CSV_COLUMNS = [
    "email",
    "name",
    "newsletter",
    "status",
    "consent_source",
    "consent_page",
    "subscribed_at",
    "confirmed_at",
    "unsubscribed_at",
]


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(subscribers, filename: str) -> StreamingHttpResponse:
    rows = (
        Subscription.objects.filter(subscriber__in=subscribers)
        .select_related("subscriber", "newsletter")
        .order_by("subscriber__email", "newsletter__position", "newsletter__name")
    )
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow(CSV_COLUMNS)
        for s in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    _cell(v)
                    for v in [
                        s.subscriber.email,
                        s.subscriber.name,
                        s.newsletter.slug,
                        s.status,
                        s.source,
                        s.source_url,
                        s.created_at.isoformat(),
                        s.confirmed_at.isoformat() if s.confirmed_at else "",
                        s.unsubscribed_at.isoformat() if s.unsubscribed_at else "",
                    ]
                ]
            )

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A column named “email” (and optionally “name”). Comma, "
        "semicolon or tab separated; UTF-8 or Latin-1; up to 10 MB.",
    )
    newsletter = forms.ModelChoiceField(
        queryset=Newsletter.objects.all(), empty_label=None
    )
    mode = forms.ChoiceField(
        choices=SubscriberImport.Mode.choices,
        initial=SubscriberImport.Mode.PENDING,
        widget=forms.RadioSelect,
    )
    consent = forms.BooleanField(
        required=False,
        label="I confirm that everyone in this file agreed to receive this newsletter.",
    )

    def clean(self):
        data = super().clean()
        if data.get("mode") == SubscriberImport.Mode.CONFIRMED and not data.get(
            "consent"
        ):
            self.add_error(
                "consent",
                "Subscribing people without a confirmation email needs their "
                "prior consent: tick the box, or choose “Email each a link”.",
            )
        upload = data.get("file")
        if upload is not None:
            if upload.size > imports.MAX_BYTES:
                self.add_error("file", "The file is larger than 10 MB: split it.")
            else:
                try:
                    data["text"], data["note"] = imports.decode(upload.read())
                    parsed = imports.parse(data["text"])
                except imports.ImportFileError as exc:
                    self.add_error("file", str(exc))
                else:
                    if not parsed.rows and not parsed.problems:
                        self.add_error("file", "The file has a header but no rows.")
        return data


SUBSCRIBER_KEPT = (
    "Subscribers are never deleted: their consent history is the record of "
    "what they agreed to, and when. To stop their mail, select them on the "
    "Subscribers page and choose “Unsubscribe selected from every list”. To "
    "answer an erasure request, choose “Erase personal data”: it removes "
    "the person and keeps only the anonymous history."
)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "lists", "created_at"]
    list_filter = [ListStatusFilter, "subscriptions__source", "created_at"]
    search_fields = ["email", "name"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "updated_at",
        "last_request_mail_at",
        "consent_history",
    ]
    inlines = [SubscriptionInline]
    actions = [
        "export_csv",
        "unsubscribe_from_all",
        "export_personal_data",
        "erase_personal_data",
    ]
    list_per_page = 50
    change_list_template = "newsletter/admin/subscriber_change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "subscriptions",
                    queryset=Subscription.objects.select_related("newsletter"),
                )
            )
        )

    @admin.display(description="Lists")
    def lists(self, obj):
        parts = [
            s.newsletter.name
            if s.is_confirmed
            else f"{s.newsletter.name} ({s.get_status_display().lower()})"
            for s in obj.subscriptions.all()
        ]
        return "; ".join(parts) or "—"

    @admin.display(description="Consent history")
    def consent_history(self, obj):
        events = SubscriptionEvent.objects.filter(
            subscription__subscriber=obj
        ).select_related("subscription__newsletter")[:200]
        if not events:
            return "—"
        return format_html(
            "<table><thead><tr><th>When</th><th>List</th><th>What</th><th>Source</th>"
            "<th>Detail</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"),
                        e.subscription.newsletter.name,
                        e.get_kind_display(),
                        e.source,
                        e.detail,
                    )
                    for e in events
                ),
            ),
        )

    def save_formset(self, request, form, formset, change):
        """Status changes made here are logged like any other."""
        if formset.model is not Subscription:
            return super().save_formset(request, form, formset, change)
        kinds = {
            S.PENDING: SubscriptionEvent.Kind.REQUESTED,
            S.CONFIRMED: SubscriptionEvent.Kind.CONFIRMED,
            S.UNSUBSCRIBED: SubscriptionEvent.Kind.UNSUBSCRIBED,
            S.BOUNCED: SubscriptionEvent.Kind.BOUNCED,
            S.COMPLAINED: SubscriptionEvent.Kind.COMPLAINED,
        }
        now = timezone.now()
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form in formset.deleted_forms:
                continue
            subscription = inline_form.instance
            if "status" in inline_form.changed_data or subscription.pk is None:
                subscription.status_changed_at = now
                if subscription.status == S.CONFIRMED:
                    subscription.confirmed_at = now
                elif subscription.status != S.PENDING:
                    subscription.unsubscribed_at = now
                if subscription.pk is None:
                    subscription.source = Subscription.Source.ADMIN
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form.instance.pk and (
                "status" in inline_form.changed_data
                or "newsletter" in inline_form.changed_data
            ):
                services.record(
                    inline_form.instance,
                    kinds[inline_form.instance.status],
                    source="admin",
                    detail=f"by {request.user}",
                )

    @admin.action(
        description="Export selected subscribers as CSV", permissions=["view"]
    )
    def export_csv(self, request, queryset):
        return csv_response(queryset, "subscribers-selected.csv")

    @admin.action(
        description="Unsubscribe selected from every list", permissions=["change"]
    )
    def unsubscribe_from_all(self, request, queryset):
        count = 0
        for subscriber in queryset:
            count += bool(
                services.unsubscribe(subscriber, None, source=f"admin ({request.user})")
            )
        self.message_user(
            request, f"Unsubscribed {count} subscriber(s) from every list."
        )

    @admin.action(
        description="Export personal data of selected subscribers (JSON)",
        permissions=["view"],
    )
    def export_personal_data(self, request, queryset):
        """A data-access request: everything held about each, in one file."""
        data = [privacy.personal_data(s) for s in queryset.order_by("email")]
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="personal-data-{stamp}.json"'
        )
        return response

    @admin.action(
        description="Erase personal data of selected subscribers…",
        permissions=["erase"],
    )
    def erase_personal_data(self, request, queryset):
        """An erasure request, after a confirmation page (newsletter/privacy.py)."""
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "newsletter/admin/erase_confirm.html",
                self._context(
                    request,
                    "Erase personal data?",
                    subscribers=list(queryset),
                    action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
                ),
            )
        erased = 0
        for subscriber in queryset:
            if not privacy.is_erased(subscriber):
                privacy.erase(subscriber, by=str(request.user))
                erased += 1
        self.message_user(
            request,
            f"Erased the personal data of {erased} subscriber(s). Their anonymous "
            "delivery history stays.",
        )

    def has_erase_permission(self, request):
        codename = get_permission_codename("delete", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def has_delete_permission(self, request, obj=None):
        # Deleting a row would take the editions' delivery history with it
        # (and leave the consent log without its subject): erase instead.
        return False

    def delete_view(self, request, object_id, extra_context=None):
        """Whoever looks for a Delete button learns what to do instead."""
        messages.error(request, SUBSCRIBER_KEPT)
        return HttpResponseRedirect(
            reverse("admin:newsletter_subscriber_change", args=[object_id])
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "newsletter_subscriber_"
        return [
            path("export/", view(self.export_view), name=f"{name}export"),
            path("import/", view(self.import_view), name=f"{name}import"),
            path(
                "import/<int:import_id>/",
                view(self.import_status_view),
                name=f"{name}import_status",
            ),
            path(
                "import/<int:import_id>/progress.json",
                view(self.import_progress_view),
                name=f"{name}import_progress",
            ),
            path("activity/", view(self.activity_view), name=f"{name}activity"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    def export_view(self, request):
        """Everything the change list shows with its current search and filters."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return csv_response(
            changelist.get_queryset(request), f"subscribers-{stamp}.csv"
        )

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                job = SubscriberImport.objects.create(
                    newsletter=data["newsletter"],
                    mode=data["mode"],
                    filename=data["file"].name[:255],
                    data=data["text"],
                    notes=data["note"],
                    created_by=request.user,
                )
                transaction.on_commit(lambda: tasks.import_subscribers.enqueue(job.pk))
            return HttpResponseRedirect(
                reverse("admin:newsletter_subscriber_import_status", args=[job.pk])
            )
        recent = SubscriberImport.objects.select_related("newsletter")[:10]
        return TemplateResponse(
            request,
            "newsletter/admin/import.html",
            self._context(
                request, "Import subscribers from CSV", form=form, recent=recent
            ),
        )

    def _job(self, request, import_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = (
            SubscriberImport.objects.select_related("newsletter")
            .filter(pk=import_id)
            .first()
        )
        if job is None:
            raise Http404("No such import.")
        return job

    def import_status_view(self, request, import_id):
        job = self._job(request, import_id)
        return TemplateResponse(
            request,
            "newsletter/admin/import_status.html",
            self._context(request, f"Import of {job.filename or 'CSV'}", job=job),
        )

    def import_progress_view(self, request, import_id):
        return JsonResponse(self._job(request, import_id).as_progress())

    def activity_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = min(max(int(request.GET.get("days", 30)), 7), 365)
        except ValueError:
            days = 30
        newsletter = Newsletter.objects.filter(
            pk=request.GET.get("newsletter") or 0
        ).first()
        rows = stats.daily_activity(days, newsletter)
        return TemplateResponse(
            request,
            "newsletter/admin/activity.html",
            self._context(
                request,
                "Subscriber activity",
                chart=stats.chart(rows),
                rows=rows,
                days=days,
                newsletter=newsletter,
                newsletters=Newsletter.objects.all(),
                day_choices=[7, 30, 90, 365],
            ),
        )


# Editions ---------------------------------------------------------------


class SectionChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, section):
        heading = f" — {section.heading}" if section.heading else ""
        return f"{section.display_label or 'Untitled section'}{heading}"


class EditionItemForm(forms.ModelForm):
    sections = SectionChoices(
        queryset=Section.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Used when “keep every section” is off. Save the edition "
        "after choosing a brief to list its sections here.",
    )

    class Meta:
        model = EditionItem
        fields = ["article", "position", "all_sections", "sections"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.article_id:
            self.fields["sections"].queryset = Section.objects.filter(
                article_id=self.instance.article_id
            ).select_related("label")

    def clean(self):
        data = super().clean()
        article = data.get("article")
        sections = data.get("sections") or []
        if article and any(s.article_id != article.pk for s in sections):
            # The brief changed: its old sections do not apply.
            data["sections"] = []
        return data


def without_related_links(formfield):
    """A choice of brief or list with no pencil, plus or eye beside it: those
    are managed on their own pages, and composing needs no popups."""
    widget = getattr(formfield, "widget", None)
    if isinstance(widget, RelatedFieldWidgetWrapper):
        widget.can_add_related = widget.can_change_related = False
        widget.can_delete_related = widget.can_view_related = False
    return formfield


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


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(
        label="Send at",
        # On the edition's page the field belongs to the edition's form, so
        # its Schedule button saves what was typed first.
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "form": "edition_form"}
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


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
class EditionAdmin(admin.ModelAdmin):
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

    def get_urls(self):
        view = self.admin_site.admin_view
        name = "newsletter_edition_"
        return [
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name=f"{name}preview",
            ),
            path(
                "<path:object_id>/preview.txt",
                view(self.preview_text_view),
                name=f"{name}preview_text",
            ),
            path(
                "<path:object_id>/send-test/",
                view(self.send_test_view),
                name=f"{name}send_test",
            ),
            path(
                "<path:object_id>/schedule/",
                view(self.schedule_view),
                name=f"{name}schedule",
            ),
            path(
                "<path:object_id>/unschedule/",
                view(self.unschedule_view),
                name=f"{name}unschedule",
            ),
            path("<path:object_id>/send/", view(self.send_view), name=f"{name}send"),
            path(
                "<path:object_id>/resume/",
                view(self.resume_view),
                name=f"{name}resume",
            ),
            path(
                "<path:object_id>/progress.json",
                view(self.progress_view),
                name=f"{name}progress",
            ),
            path(
                "<path:object_id>/results/",
                view(self.results_view),
                name=f"{name}results",
            ),
            path(
                "<path:object_id>/results.csv",
                view(self.results_csv_view),
                name=f"{name}results_csv",
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
        return admin_results.results_view(
            self, request, self._edition(request, object_id)
        )

    def results_csv_view(self, request, object_id):
        return admin_results.results_csv_view(
            self, request, self._edition(request, object_id)
        )

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

    def _post_only(self, request):
        if request.method != "POST":
            raise PermissionDenied("Use the buttons on the edition's page.")

    def send_test_view(self, request, object_id):
        self._post_only(request)
        edition = self._edition(request, object_id, change=True)
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
            sending.send_test(edition, address)
        except sending.EditionEmpty as exc:
            messages.error(request, f"{done}{exc}")
        except ValueError as exc:
            messages.error(request, f"{done}Cannot send to {address}: {exc}")
        except Exception as exc:  # SMTP and network errors: say what happened
            messages.error(request, f"{done}The test could not be sent: {exc}")
        else:
            messages.success(request, f"{done}A test copy was sent to {address}.")

    def schedule_view(self, request, object_id):
        self._post_only(request)
        edition = self._edition(request, object_id, change=True)
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
            sending.schedule(edition, when)
        except (sending.ScheduleError, sending.EditionEmpty) as exc:
            messages.error(request, f"{done}{exc}")
        else:
            messages.success(
                request,
                f"{done}Scheduled for {timezone.localtime(when):%A %d %B %Y at %H:%M}.",
            )

    def unschedule_view(self, request, object_id):
        self._post_only(request)
        edition = self._edition(request, object_id, change=True)
        sending.unschedule(edition)
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
                sending.start(edition.pk)
            except sending.EditionEmpty as exc:
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
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"Send “{edition.subject}”?",
                "original": edition,
                "audience": audience,
                "items": items,
                "unpublished": edition.items.count() - len(items),
            },
        )

    def resume_view(self, request, object_id):
        self._post_only(request)
        edition = self._edition(request, object_id, change=True)
        reply = edition.blocked_reply
        if sending.resume(edition.pk, by=str(request.user)):
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
