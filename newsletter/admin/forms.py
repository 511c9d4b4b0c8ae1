"""The newsletter admin's forms: a reader's subscriptions, the CSV import,
an edition's briefs and its schedule."""

from django import forms
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper

from articles.models import Section
from newsletter import imports
from newsletter.models import EditionItem, Newsletter, SubscriberImport


class SubscriptionForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Consent given for one list is not consent to another: a
            # subscription's list is fixed once it exists.
            self.fields["newsletter"].disabled = True


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
