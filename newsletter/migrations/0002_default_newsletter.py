from django.db import migrations


def create_default(apps, schema_editor):
    # A fresh site can take signups at once; editors rename it in the admin.
    Newsletter = apps.get_model("newsletter", "Newsletter")
    if not Newsletter.objects.exists():
        Newsletter.objects.create(
            name="The Daily Brief",
            slug="daily",
            description="The day's essential briefs, every morning.",
            is_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
