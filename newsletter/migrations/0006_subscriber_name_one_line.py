"""Names are one line (validate_one_line on Subscriber.name and
Newsletter.name; no SQL), and names stored before the rule are put on one
line: control characters become spaces, runs of spaces one. Sending copes
with such a name anyway (newsletter/mime.py); this keeps the admin form from
greeting an editor with an error on a field they did not touch."""

import unicodedata

from django.db import migrations, models

import newsletter.models.lists


def _is_control(char: str) -> bool:
    # Frozen here (lists.has_control_characters, lists.one_line): a migration
    # keeps its meaning whatever the code becomes.
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def _one_line(value: str) -> str:
    return " ".join("".join(" " if _is_control(c) else c for c in value).split())


def one_line_names(apps, schema_editor):
    Subscriber = apps.get_model("newsletter", "Subscriber")
    rows = (
        Subscriber.objects.using(schema_editor.connection.alias)
        .exclude(name="")
        .values_list("pk", "name")
    )
    for pk, name in rows.iterator(chunk_size=2000):
        if any(_is_control(c) for c in name):  # good names stay as typed
            Subscriber.objects.using(schema_editor.connection.alias).filter(
                pk=pk
            ).update(name=_one_line(name))


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0005_consent_history_kept"),
    ]

    operations = [
        migrations.AlterField(
            model_name="newsletter",
            name="name",
            field=models.CharField(
                max_length=100,
                validators=[newsletter.models.lists.validate_one_line],
            ),
        ),
        migrations.AlterField(
            model_name="subscriber",
            name="name",
            field=models.CharField(
                blank=True,
                help_text="One line: it goes in the To line of every edition.",
                max_length=100,
                validators=[newsletter.models.lists.validate_one_line],
            ),
        ),
        migrations.RunPython(one_line_names, migrations.RunPython.noop, elidable=True),
    ]
