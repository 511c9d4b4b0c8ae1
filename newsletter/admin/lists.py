"""The admin for lists (Newsletter) and a reader's subscriptions to them."""

from django.contrib import admin
from django.db.models import Count, Q

from newsletter.admin.forms import SubscriptionForm
from newsletter.models import Edition, Newsletter, Subscription

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
