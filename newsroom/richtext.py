"""Rich text: the one place that knows which editor we use and what HTML we keep.

Models use RichTextField("block" or "inline"); templates use the `rich`
filter. Swapping django-prose-editor for another editor means changing this
module only: the database holds plain HTML strings.
"""

import re
from functools import cache
from html import unescape

import nh3
from django.utils.safestring import SafeString, mark_safe
from django_prose_editor.fields import ProseEditorField

# What editors may use. Block text (an article's intro, an edition's intro)
# gets paragraphs and lists; inline text (a bullet, a section's lead) gets
# only marks and links, because it is rendered inside an <li> or a <p>.
EXTENSIONS = {
    "block": {
        "Bold": True,
        "Italic": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "History": True,
    },
    "inline": {
        "Bold": True,
        "Italic": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        "HardBreak": True,
        "History": True,
    },
}

_TAGS = {
    "block": {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote"},
    "inline": {"br", "strong", "em", "a"},
}
_PARAGRAPH_BREAK = re.compile(r"</p\s*>\s*<p(?:\s[^>]*)?>", re.IGNORECASE)
_EMPTY = re.compile(r"^(?:\s|<br\s*/?>|<p>\s*</p>)*$", re.IGNORECASE)


@cache
def _cleaner(kind: str) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS[kind],
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def sanitize(html: str | None, kind: str = "block") -> str:
    """Return `html` reduced to the allowlist for `kind`. Idempotent."""
    if not html:
        return ""
    html = html.replace("\x00", "")
    if kind == "inline":
        # The editor wraps everything in <p>; inline text keeps the line
        # breaks between paragraphs but not the paragraphs themselves.
        html = _PARAGRAPH_BREAK.sub("<br>", html.strip())
    cleaned = _cleaner(kind).clean(html).strip()
    return "" if _EMPTY.match(cleaned) else cleaned


def render(html: str | None, kind: str = "block") -> SafeString:
    # Stored values are already clean; cleaning again on output protects
    # against rows written around the model (raw SQL, bulk updates).
    return mark_safe(sanitize(html, kind))


_LINK = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]*)\"[^>]*>(.*?)</a>", re.I | re.S)


def to_text(html: str | None, links: list[str] | None = None) -> str:
    """Plain text of a rich value: for word counts, email text parts, search.

    With `links`, a link keeps its address as a numbered reference: its text
    is followed by " [n]", and the URL is appended to `links` (the same URL
    keeps its number), for a text part to list after the passage.
    """
    if not html:
        return ""
    if links is not None:
        html = _LINK.sub(lambda m: _reference(m, links), html)
    text = re.sub(r"<br\s*/?>|</p>|</li>", " ", html, flags=re.IGNORECASE)
    text = nh3.clean(text, tags=set())
    return " ".join(unescape(text).split())


def _reference(match, links: list[str]) -> str:
    url, label = unescape(match[1]).strip(), match[2]
    if not url.startswith(("http://", "https://", "mailto:")):
        return label
    if unescape(nh3.clean(label, tags=set())).strip() == url:
        return label  # the address is the text already
    if url not in links:
        links.append(url)
    return f"{label} [{links.index(url) + 1}]"


class RichTextField(ProseEditorField):
    """A text column edited with the rich-text editor and cleaned on every save."""

    def __init__(self, *args, kind: str = "block", **kwargs):
        self.kind = kind
        kwargs.setdefault("blank", True)
        kwargs["extensions"] = EXTENSIONS[kind]
        kwargs["sanitize"] = lambda html: sanitize(html, kind)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        # Cleaning here, not only in the form, covers seeds, imports, the
        # shell and any API: whatever reaches the database is clean.
        value = sanitize(getattr(model_instance, self.attname), self.kind)
        setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("extensions", None)
        kwargs.pop("sanitize", None)
        return name, path, args, kwargs
