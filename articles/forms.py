from django import forms

from articles.models import Section


class SectionForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["label", "custom_label", "heading", "text", "position"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("label") and not cleaned.get("custom_label", "").strip():
            raise forms.ValidationError(
                "Choose a label such as “Why it matters”, or type a custom label.",
                code="missing_label",
            )
        return cleaned
