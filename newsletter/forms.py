import stringprep
import unicodedata

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
MAX_ADDRESS = 254  # RFC 5321's limit, and the column's
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def is_invisible(char: str) -> bool:
    """Controls, format characters (bidi controls, zero-width spaces and
    joiners) and whatever IDNA maps to nothing (soft hyphen, combining
    grapheme joiner…): in an address they make "ada@exa\u200bmple.com" a
    second row, and a second copy of every edition, for ada@example.com."""
    return unicodedata.category(char) in _INVISIBLE or stringprep.in_table_b1(char)


def check_address(email: str) -> None:
    """Refuse what we could not put in a header or deliver to."""
    if any(c in email for c in "\r\n"):
        raise ValidationError("An email address cannot contain line breaks.")
    if any(is_invisible(c) for c in email):
        raise ValidationError(
            "This address contains invisible or control characters (they "
            "often come along when an address is copied). Please type it again."
        )
    if len(email) > MAX_ADDRESS:
        raise ValidationError(
            f"An email address has at most {MAX_ADDRESS} characters; this one "
            f"has {len(email)}."
        )
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


class ListsField(forms.ModelMultipleChoiceField):
    """Newsletters by id. Junk (text, a 40-digit number, thousands of ids) is
    a form error before it reaches the database, which cannot even bind an
    integer that large on SQLite."""

    max_choices = 50

    def _check_values(self, value):
        values = [str(v) for v in value]
        if len(values) > self.max_choices or not all(
            v.isascii() and v.isdigit() and len(v) <= 18 for v in values
        ):
            bad = next(
                (v for v in values if not (v.isascii() and v.isdigit())), values[0]
            )
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": bad[:20]},
            )
        return super()._check_values(values)


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
    newsletters = ListsField(
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
        # Hidden fields our own pages fill: what a bot puts there (a NUL,
        # say) is dropped below, not an error under a field nobody can see.
        for name in ("source", "next"):
            self.fields[name].validators = []

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
        if any(unicodedata.category(c)[0] == "C" for c in page):
            return ""
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
    newsletters = ListsField(
        label="Send me",
        queryset=Newsletter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].queryset = Newsletter.objects.filter(is_public=True)
