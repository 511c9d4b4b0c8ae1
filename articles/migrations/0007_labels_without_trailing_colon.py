from django.db import migrations
from django.db.models import Q

# Labels were stored as typed, so "Italy is responding to:" showed as "…to::"
# wherever a colon is added. Frozen here (not imported from articles.labels)
# so this migration keeps doing what it did when it ran.
SEPARATORS = ":：-–—"


def clean(text):
    text = " ".join(text.split())
    while text and text[-1] in SEPARATORS:
        text = text[:-1].rstrip()
    return text


def needs_cleaning(field):
    ends = Q(**{f"{field}__endswith": " "})
    for mark in SEPARATORS:
        ends |= Q(**{f"{field}__endswith": mark})
    return ends


def clean_label_text(apps, schema_editor):
    SectionLabel = apps.get_model("articles", "SectionLabel")
    Section = apps.get_model("articles", "Section")
    for label in SectionLabel.objects.filter(needs_cleaning("name")):
        name = clean(label.name)
        if not name:
            continue  # nothing but a colon: left for an editor to rename
        twin = SectionLabel.objects.filter(name=name).exclude(pk=label.pk).first()
        if twin is not None:
            # "Why it matters:" beside "Why it matters": one label, same sections.
            Section.objects.filter(label=label).update(label=twin)
            label.delete()
        else:
            label.name = name
            label.save(update_fields=["name"])
    sections = Section.objects.filter(needs_cleaning("custom_label"))
    for section in sections.only("pk", "custom_label").iterator():
        custom = clean(section.custom_label)
        if custom:
            Section.objects.filter(pk=section.pk).update(custom_label=custom)


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_slug_help_text")]

    operations = [migrations.RunPython(clean_label_text, migrations.RunPython.noop)]
