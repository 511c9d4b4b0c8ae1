"""The consent log survives deletes: Subscription and SubscriptionEvent are
PROTECTed (no SQL: Django enforces on_delete), and the Newsletter editor
group loses the permissions that could remove or rewrite it (sync_roles only
adds, so a site that already granted them needs this)."""

import django.db.models.deletion
from django.db import migrations, models

WITHHELD = [
    "delete_subscription",
    "add_subscriptionevent",
    "change_subscriptionevent",
    "delete_subscriptionevent",
]


def withhold_consent_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    for group in Group.objects.using(using).filter(name="Newsletter editor"):
        group.permissions.remove(
            *Permission.objects.using(using).filter(
                content_type__app_label="newsletter", codename__in=WITHHELD
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("newsletter", "0004_request_mail_once_a_day"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscription",
            name="newsletter",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subscriptions",
                to="newsletter.newsletter",
            ),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="subscriber",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subscriptions",
                to="newsletter.subscriber",
            ),
        ),
        migrations.AlterField(
            model_name="subscriptionevent",
            name="subscription",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="newsletter.subscription",
            ),
        ),
        migrations.RunPython(
            withhold_consent_permissions, migrations.RunPython.noop, elidable=True
        ),
    ]
