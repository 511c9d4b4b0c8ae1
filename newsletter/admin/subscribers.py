"""The admin for subscribers: their lists and consent history, the CSV
import and export, data-protection requests, and the activity chart."""

import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from newsletter import privacy, services, stats, tasks
from newsletter.admin.forms import ImportForm, SubscriberForm
from newsletter.admin.lists import SubscriptionInline
from newsletter.exports import csv_response
from newsletter.models import (
    Newsletter,
    Subscriber,
    SubscriberImport,
    Subscription,
    SubscriptionEvent,
)
from newsroom.admin_pages import AdminPageMixin

S = Subscription.Status


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


SUBSCRIBER_KEPT = (
    "Subscribers are never deleted: their consent history is the record of "
    "what they agreed to, and when. To stop their mail, select them on the "
    "Subscribers page and choose “Unsubscribe selected from every list”. To "
    "answer an erasure request, choose “Erase personal data”: it removes "
    "the person and keeps only the anonymous history."
)


@admin.register(Subscriber)
class SubscriberAdmin(AdminPageMixin, admin.ModelAdmin):
    form = SubscriberForm
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
        # commit=False still fills new_objects and changed_objects, which the
        # admin's history message reads.
        formset.save(commit=False)
        detail = f"by {request.user}"
        for subscription in formset.new_objects:
            subscription.source = Subscription.Source.ADMIN
            subscription.move_to(subscription.status, source="admin", detail=detail)
        for subscription, changed_data in formset.changed_objects:
            if "status" in changed_data:
                subscription.move_to(subscription.status, source="admin", detail=detail)
            else:
                subscription.save()
        formset.save_m2m()

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
                self.page_context(
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
        return [
            *self.admin_urls(
                ("export/", self.export_view, "export"),
                ("import/", self.import_view, "import"),
                ("import/<int:import_id>/", self.import_status_view, "import_status"),
                (
                    "import/<int:import_id>/progress.json",
                    self.import_progress_view,
                    "import_progress",
                ),
                ("activity/", self.activity_view, "activity"),
            ),
            *super().get_urls(),
        ]

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
            self.page_context(
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
            self.page_context(request, f"Import of {job.filename or 'CSV'}", job=job),
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
            self.page_context(
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
