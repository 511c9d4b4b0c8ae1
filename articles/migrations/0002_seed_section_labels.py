from django.db import migrations

# The standard Smart Brevity labels editors start with; they can add more.
LABELS = [
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
]


def add_labels(apps, schema_editor):
    SectionLabel = apps.get_model("articles", "SectionLabel")
    for position, name in enumerate(LABELS):
        SectionLabel.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(add_labels, migrations.RunPython.noop)]
