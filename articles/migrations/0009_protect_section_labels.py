import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("articles", "0008_section_numbered")]

    operations = [
        migrations.AlterField(
            model_name="section",
            name="label",
            field=models.ForeignKey(
                blank=True,
                help_text="A standard label, or leave empty and write a custom one.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="articles.sectionlabel",
            ),
        ),
    ]
