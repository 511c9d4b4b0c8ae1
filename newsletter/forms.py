from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.http import url_has_allowed_host_and_scheme

from newsletter.models import Newsletter, Subscription, normalize_email

# Sources a form may claim; anything else is recorded as the footer form.
FORM_SOURCES = {
    Subscription.Source.FOOTER_FORM,
    Subscription.Source.SIGNUP_PAGE,
}


INVALID = "Please enter a valid email address, like name@example.com."


def check_address(email: str) -> None:
    """Refuse what we could not put in a header or deliver to."""
    if any(c in email for c in "\r\n\t\x00"):
        raise ValidationError("An email address cannot contain line breaks.")
    local = email.rpartition("@")[0]
    if not local.isascii():
        raise ValidationError(
            "Our mail server cannot deliver to addresses with accents or "
            "non-Latin letters before the @. Please use another address."
        )


def clean_address(value: str) -> str:
    """Normalise and validate an address from any source (form, import)."""
    email = normalize_email(value)
    check_address(email)
    EmailValidator(message=INVALID)(email)
    return email


class AddressField(forms.EmailField):
    default_validators = [EmailValidator(message=INVALID)]

    def to_python(self, value):
        return normalize_email(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value:
            check_address(value)


class SignupForm(forms.Form):
    email = AddressField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Please enter your email address.",
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "placeholder": "you@example.com"}
        ),
    )
    newsletters = forms.ModelMultipleChoiceField(
        label="Newsletters",
        queryset=Newsletter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Please choose from the listed newsletters."},
    )
    # The honeypot: hidden from people by CSS and from screen readers, but
    # bots that fill every field fill this one.
    website = forms.CharField(required=False, label="Leave this field empty")
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, with_lists: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_lists = with_lists
        if with_lists:
            self.fields["newsletters"].queryset = Newsletter.objects.filter(
                is_public=True
            )
        else:
            del self.fields["newsletters"]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_source(self):
        source = self.cleaned_data.get("source", "")
        return source if source in FORM_SOURCES else Subscription.Source.FOOTER_FORM

    def clean_next(self):
        # The page the form was on: recorded as consent source and used to
        # send a reader without JavaScript back where they were.
        page = (self.cleaned_data.get("next") or "")[:300]
        if page and url_has_allowed_host_and_scheme(page, allowed_hosts=None):
            return page if page.startswith("/") else ""
        return ""

    def chosen_newsletters(self):
        chosen = list(self.cleaned_data.get("newsletters") or [])
        if chosen:
            return chosen
        default = Newsletter.get_default()
        return [default] if default else []


class PreferencesForm(forms.Form):
    newsletters = forms.ModelMultipleChoiceField(
        label="Send me",
        queryset=Newsletter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].queryset = Newsletter.objects.filter(is_public=True)
