"""Section labels: stored bare (“Why it matters”), shown as “Why it matters:”.

Labels are stored without the colon or dash an editor or a paste may bring
along, and every place a label is shown (reader page, feeds, edition HTML,
text and web archive, brevity panel, paste review) adds the colon through
``shown_label`` (the ``as_label`` template filter in Django and Jinja2). The
brevity panel's script, static/articles/admin/brevity.js, mirrors both
functions. One form everywhere is the Smart Brevity one readers know: the
label in bold, a colon, then the text on the same line.
"""

# The standard Smart Brevity labels, in the order editors are offered them.
# The initial migration seeds new databases with them and the importer recognises
# them. The migration reading this constant is safe: it is plain data, the
# migration only creates missing labels (get_or_create, never a rename or a
# delete), and an addition here is meant for every new database too.
STANDARD_LABELS: tuple[str, ...] = (
    "Why it matters",
    "Driving the news",
    "Zoom in",
    "Zoom out",
    "Between the lines",
    "The big picture",
    "State of play",
    "What we're watching",
    "By the numbers",
    "Yes, but",
    "Reality check",
    "The bottom line",
    "What they're saying",
    "The other side",
    "Flashback",
    "What's next",
    "Go deeper",
)

# What may trail a typed or pasted label: “Why it matters:”, “Driving the
# news —”, “Zoom in -”, a full-width colon from a CJK keyboard.
_SEPARATORS = ":：-–—"
# A label ending like a question needs no colon after it: “Why now?”.
_OWN_ENDINGS = "?!…"


def clean_label(text: str | None) -> str:
    """The label as stored: single spaces, no trailing colon or dash."""
    text = " ".join(str(text or "").split())
    while text and text[-1] in _SEPARATORS:
        text = text[:-1].rstrip()
    return text


def shown_label(label: str | None) -> str:
    """The label as readers see it: “Why it matters:” (empty stays empty)."""
    label = clean_label(label)
    if not label or label.endswith(tuple(_OWN_ENDINGS)):
        return label
    return f"{label}:"
