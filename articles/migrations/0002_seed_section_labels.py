from django.db import migrations

from articles.labels import STANDARD_LABELS

# The standard Smart Brevity labels editors start with; they can add more.
# One list for the migration and the importer (articles/labels.py says why
# reading it from here is safe).
LABELS = STANDARD_LABELS


def add_labels(apps, schema_editor):
    SectionLabel = apps.get_model("articles", "SectionLabel")
    for position, name in enumerate(LABELS):
        SectionLabel.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(add_labels, migrations.RunPython.noop)]
