"""The suppression list in the admin: searchable, with why and when; an editor
adds a manual block here and lifts one (each removal logged)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q

from newsletter import suppression
from newsletter.models import Suppression, normalize_email

R = Suppression.Reason
# What a person may lift here (when the reader asks, or a bounce was the
# provider's mistake). An erasure's hash is not: it holds no address to
# mail, and only stops imports of that person.
LIFTABLE = (R.BLOCKED, R.HARD_BOUNCE, R.SOFT_BOUNCES, R.COMPLAINT)


class BlockForm(forms.ModelForm):
    """Adding a row here is a manual block; everything else comes from mail."""

    class Meta:
        model = Suppression
        fields = ["address", "detail"]
        labels = {"address": "Address to block", "detail": "Why"}
        help_texts = {
            "address": "We will never mail it, whichever list it is on or "
            "comes back to, until the block is lifted here.",
        }

    def clean_address(self):
        address = normalize_email(self.cleaned_data["address"])
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError("Enter an email address.") from None
        found = suppression.find(address)
        if found is not None:
            raise ValidationError(f"Already there. {suppression.explain(found)}")
        return address


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["shown_address", "reason", "created_at", "source", "edition"]
    list_filter = ["reason", "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["address", "detail", "source"]
    search_help_text = (
        "An address (an erased person's is found too, by its exact spelling), "
        "or words from the reason or the source."
    )
    list_select_related = ["edition"]
    readonly_fields = [
        "address",
        "reason",
        "detail",
        "source",
        "edition",
        "created_at",
    ]
    actions = ["lift_selected"]

    @admin.display(description="address", ordering="address")
    def shown_address(self, obj):
        return obj.address or "(erased: kept as a keyed hash)"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        term = search_term.strip()
        if "@" in term:
            # An erased address is only a hash: the exact address finds it.
            hashed = queryset.filter(
                Q(address_hash__in=suppression._hashes(term)) & ~Q(address_hash="")
            )
            results = results | hashed
        return results, may_have_duplicates

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = BlockForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["address", "detail"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False  # a row says what happened; it is added or lifted, not edited

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.reason in LIFTABLE)

    def save_model(self, request, obj, form, change):
        row, _ = suppression.suppress(
            form.cleaned_data["address"],
            R.BLOCKED,
            detail=form.cleaned_data.get("detail", ""),
            source=f"admin ({request.user.get_username()})",
        )
        obj.pk = row.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        suppression.lift(obj, by=request.user.get_username())

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        # Django's bulk delete would skip our checks and log: lift_selected.
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Lift the selected suppressions", permissions=["delete"])
    def lift_selected(self, request, queryset):
        liftable = list(queryset.filter(reason__in=LIFTABLE))
        for row in liftable:
            self.log_deletions(request, [row])
            suppression.lift(row, by=request.user.get_username())
        kept = queryset.exclude(pk__in=[row.pk for row in liftable]).count()
        if liftable:
            self.message_user(
                request,
                f"Lifted {len(liftable)}: those addresses can be mailed again "
                "(a bounced reader still confirms again to receive editions).",
                messages.SUCCESS,
            )
        if kept:
            self.message_user(
                request,
                f"{kept} kept: an erased person's entry holds no address and "
                "only stops imports of them; it is never lifted.",
                messages.WARNING,
            )
