import re

from django import forms
from django.http import QueryDict
from django.utils import timezone

from articles import revisions, workflow
from articles.importer import BriefParseError, parse_brief
from articles.labels import clean_label
from articles.models import Article, Bullet, Byline, Revision, Section


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["label", "custom_label", "heading", "text", "numbered", "position"]
        # Dragging sets the order; a number box would only invite typos.
        # The compact section block shows no labels above its boxes, so the
        # boxes say what they are for.
        widgets = {
            "position": forms.HiddenInput,
            "custom_label": forms.TextInput(attrs={"placeholder": "Custom label"}),
            "heading": forms.TextInput(attrs={"placeholder": "Heading (optional)"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label = self.fields.get("label")
        if label is not None:
            # Choosing no standard label means writing one's own.
            label.empty_label = "Custom label…"

    def clean_custom_label(self):
        # "Italy is responding to:" is stored bare; a lone ":" is no label.
        return clean_label(self.cleaned_data.get("custom_label"))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("label") and not cleaned.get("custom_label"):
            raise forms.ValidationError(
                "Choose a label such as “Why it matters”, or type a custom label.",
                code="missing_label",
            )
        return cleaned


class BulletForm(forms.ModelForm):
    class Meta:
        model = Bullet
        fields = ["text", "position"]
        widgets = {"position": forms.HiddenInput}


class BylineForm(forms.ModelForm):
    class Meta:
        model = Byline
        fields = ["author", "position"]
        widgets = {"position": forms.HiddenInput}

    def has_changed(self):
        # The byline proposed on a new brief is posted unchanged from its
        # initial value; a formset skips unchanged extra forms, which would
        # drop it. A new form that names an author is a byline to save.
        if self.instance.pk is None and self["author"].value():
            return True
        return super().has_changed()


class Conflict:
    """Someone saved the brief after this editor opened it."""

    def __init__(self, article: Article, loaded_version: int, current_version: int):
        self.loaded_version = loaded_version
        self.current_version = current_version
        later = Revision.objects.filter(
            article=article, article_version__gt=loaded_version
        ).select_related("created_by")
        self.latest = later.order_by("-article_version", "-pk").first()
        loaded = (
            Revision.objects.filter(article=article, article_version=loaded_version)
            .order_by("-pk")
            .first()
        )
        self.rows = (
            revisions.compare(loaded.snapshot, revisions.snapshot(article))
            if loaded is not None
            else None
        )

    @property
    def who(self) -> str:
        user = self.latest.created_by if self.latest else None
        if user is None:
            return "Someone"
        return user.get_full_name() or user.get_username()

    @property
    def message(self) -> str:
        when = (
            timezone.localtime(self.latest.created_at).strftime(" at %H:%M")
            if self.latest
            else ""
        )
        return (
            f"{self.who} saved this brief{when}, while you were editing it. "
            "Nothing was saved from your form, and everything you typed is still "
            "below. Check what they changed (shown above the form), then save "
            "again to replace their version with yours."
        )


class ArticleAdminForm(forms.ModelForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # The admin sets this to the request's user (see ArticleAdmin.get_form).
    user = None
    # A preview saves nothing, so it need not wait for or warn about others.
    check_conflicts = True

    class Meta:
        model = Article
        fields = "__all__"
        # A box that wraps: a ten-word headline is read whole at any width.
        widgets = {"headline": forms.Textarea(attrs={"rows": 1, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict: Conflict | None = None
        self.workflow_action: workflow.Action | None = None
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        status = self.fields.get("status")
        if status is not None and self.user is not None:
            current = self.instance.status if self.instance.pk else None
            allowed = workflow.allowed_statuses(self.user, current)
            status.choices = [c for c in status.choices if c[0] in allowed]
            status.error_messages["invalid_choice"] = (
                "You can keep a brief as a draft or submit it for review; "
                "an editor publishes it."
            )

    def clean_headline(self):
        # The headline box wraps; a line break typed or pasted into it is
        # still one line of headline.
        return " ".join(self.cleaned_data["headline"].split())

    def clean(self):
        cleaned = super().clean()
        self._apply_workflow_button(cleaned)
        if (
            cleaned.get("status") == Article.Status.PUBLISHED
            and "published_at" in self.fields
            and not cleaned.get("published_at")
        ):
            cleaned["published_at"] = timezone.now()
        self._check_conflict()
        return cleaned

    def _apply_workflow_button(self, cleaned):
        for name, action in workflow.ACTIONS.items():
            if f"_{name}" not in self.data:
                continue
            if action.needs_publish and not (
                self.user is not None and workflow.can_publish(self.user)
            ):
                raise forms.ValidationError(
                    "Only an editor can publish, schedule or unpublish a brief.",
                    code="cannot_publish",
                )
            self.workflow_action = action
            cleaned["status"] = action.target
            return

    def _check_conflict(self):
        if self.instance.pk is None or not self.check_conflicts:
            return
        loaded = self.cleaned_data.get("loaded_version")
        if loaded is None:
            return
        # Lock the row until this save commits (the admin wraps the whole
        # request in a transaction), so two saves cannot both pass the check.
        current = (
            Article.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is None or current == loaded:
            return
        self.conflict = Conflict(self.instance, loaded, current)
        # The form keeps everything typed; the next save is made knowingly
        # against the version stored now.
        data = self.data.copy()
        data[self.add_prefix("loaded_version")] = str(current)
        self.data = data
        raise forms.ValidationError(self.conflict.message, code="edit_conflict")


class ImportBriefForm(forms.Form):
    text = forms.CharField(
        label="Brief text",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 22, "cols": 90, "spellcheck": "false"}),
        help_text="Paste the whole brief as plain text: headline, dek, intro, "
        "then labelled sections (“Why it matters: …”) with their bullets. "
        "Page furniture such as breadcrumbs and “Subscribe” lines is dropped.",
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        try:
            self.parsed = parse_brief(text)
        except BriefParseError as exc:
            raise forms.ValidationError(str(exc), code="unreadable") from None
        return text


_FORM_KEY = re.compile(r"^(?P<index>\d+)-(?P<rest>.*)$")


def keep_vanished_rows(data: QueryDict, article_pk) -> QueryDict:
    """Turn posted sections and bullets that were deleted meanwhile into new rows.

    When someone else deletes a section (or bullet) while an editor has the
    brief open, the editor's form still posts it as an existing row, which
    Django can only reject with an error on a hidden field. Renumbering those
    rows as new ones keeps what the editor typed in the form and, if they save
    again, brings the row back with their text. Two queries, whatever the size.
    """
    sections = {
        str(pk)
        for pk in Section.objects.filter(article_id=article_pk).values_list(
            "pk", flat=True
        )
    }
    # Any bullet of this brief counts: dragging may move one between sections.
    bullets = {
        str(pk)
        for pk in Bullet.objects.filter(section__article_id=article_pk).values_list(
            "pk", flat=True
        )
    }
    data = _revive(data, "sections", sections)
    for i in range(_number(data.get("sections-TOTAL_FORMS"))):
        # A section revived as new takes its bullets along as new rows.
        found = bullets if data.get(f"sections-{i}-id") else set()
        data = _revive(data, f"sections-{i}-bullets", found, parent_field="section")
    return data


def _number(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


def _revive(
    data: QueryDict, prefix: str, found: set[str], parent_field: str = ""
) -> QueryDict:
    total = _number(data.get(f"{prefix}-TOTAL_FORMS"))
    initial = min(_number(data.get(f"{prefix}-INITIAL_FORMS")), total)
    posted = {i: data.get(f"{prefix}-{i}-id", "") for i in range(initial)}
    kept = [i for i in range(initial) if posted[i] in found]
    if len(kept) == initial:
        return data
    vanished = [i for i in range(initial) if posted[i] not in found]
    order = kept + vanished + list(range(initial, total))
    new_index = {old: new for new, old in enumerate(order)}

    revived = QueryDict(mutable=True)
    start = f"{prefix}-"
    for key, values in data.lists():
        match = _FORM_KEY.match(key[len(start) :]) if key.startswith(start) else None
        if match and int(match["index"]) in new_index:
            key = f"{prefix}-{new_index[int(match['index'])]}-{match['rest']}"
        revived.setlist(key, values)
    for old in vanished:
        revived[f"{prefix}-{new_index[old]}-id"] = ""
        if parent_field:
            revived[f"{prefix}-{new_index[old]}-{parent_field}"] = ""
    revived[f"{prefix}-INITIAL_FORMS"] = str(len(kept))
    return revived
