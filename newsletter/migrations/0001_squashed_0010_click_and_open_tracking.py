"""The newsletter schema as of 0010_click_and_open_tracking, in one migration.

It replaces 0001_initial … 0010_click_and_open_tracking: a database that
applied all of them counts this one as applied and runs nothing. A database
part-way through that chain must first migrate with the release that still
ships it (see "Upgrading" in docs/deploying.md), which is why the old one-off
fixes are not here: 0005 took the consent-log permissions from a Newsletter
editor group that had them (sync_roles never grants them to a new one), 0006
put subscriber names stored earlier on one line. A new database has no such
rows, and every other database ran them already.

Kept, because a new database needs it: the default list (0002).
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import newsletter.models.lists


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


def id_field():
    return models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("newsletter", "0001_initial"),
        ("newsletter", "0002_default_newsletter"),
        ("newsletter", "0003_subscriber_import"),
        ("newsletter", "0004_request_mail_once_a_day"),
        ("newsletter", "0005_consent_history_kept"),
        ("newsletter", "0006_subscriber_name_one_line"),
        ("newsletter", "0007_edition_paused_by_the_breaker"),
        ("newsletter", "0008_delivery_outcomes"),
        ("newsletter", "0009_suppression_list"),
        ("newsletter", "0010_click_and_open_tracking"),
    ]

    dependencies = [
        ("articles", "0001_squashed_0011_rendered_body"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Lists, readers and their consent.
        migrations.CreateModel(
            name="Newsletter",
            fields=[
                ("id", id_field()),
                ("name", models.CharField(max_length=100, validators=[newsletter.models.lists.validate_one_line])),
                ("slug", models.SlugField(help_text="Used in archive addresses and in the List-Id header mail clients use to group and unsubscribe.", max_length=60)),
                ("description", models.TextField(blank=True, help_text="One line shown on the signup and preferences pages.")),
                ("is_default", models.BooleanField(default=False, help_text="The list the signup form on every page subscribes to, and the one send_edition uses when no --newsletter is given.", verbose_name="default list")),
                ("is_public", models.BooleanField(default=True, help_text="Readers can choose it on the signup and preferences pages and its sent editions are in the web archive.")),
                ("from_email", models.CharField(blank=True, help_text="e.g. “Daily Brief <daily@example.com>”. Empty uses DEFAULT_FROM_EMAIL.", max_length=200, verbose_name="sender")),
                ("reply_to", models.EmailField(blank=True, max_length=254)),
                ("track_clicks", models.BooleanField(default=True, help_text="Links in its editions go through a short redirect on this site that counts the click (who, which link, when) before sending the reader on. Applies to editions sent after the change.", verbose_name="count clicks")),
                ("track_opens", models.BooleanField(default=False, help_text="Its editions carry a 1×1 image that records when a reader first opened them. Off by default: many mail clients load images for the reader (or never), so the figure is rough.", verbose_name="count opens")),
                ("position", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["position", "name"],
                "constraints": [
                    models.UniqueConstraint(fields=("slug",), name="newsletter_slug_unique"),
                    models.UniqueConstraint(condition=models.Q(("is_default", True)), fields=("is_default",), name="newsletter_single_default"),
                ],
            },
        ),
        migrations.CreateModel(
            name="Subscriber",
            fields=[
                ("id", id_field()),
                ("email", models.EmailField(help_text="Stored trimmed and in lower case.", max_length=254)),
                ("name", models.CharField(blank=True, help_text="One line: it goes in the To line of every edition.", max_length=100, validators=[newsletter.models.lists.validate_one_line])),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("last_request_mail_at", models.DateTimeField(blank=True, editable=False, help_text="When we last mailed a confirmation or an “already subscribed” note; repeated signups within a day send nothing, so a stranger cannot flood this inbox from the form.", null=True)),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "constraints": [models.UniqueConstraint(django.db.models.functions.text.Lower("email"), name="subscriber_email_ci_unique")],
            },
        ),
        # The consent log outlives deletes: its foreign keys PROTECT.
        migrations.CreateModel(
            name="Subscription",
            fields=[
                ("id", id_field()),
                ("subscriber", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="subscriptions", to="newsletter.subscriber")),
                ("newsletter", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="subscriptions", to="newsletter.newsletter")),
                ("status", models.CharField(choices=[("pending", "Waiting for confirmation"), ("confirmed", "Confirmed"), ("unsubscribed", "Unsubscribed"), ("bounced", "Bounced"), ("complained", "Marked as spam")], default="pending", help_text="Only confirmed subscriptions receive editions.", max_length=12)),
                ("source", models.CharField(blank=True, choices=[("footer", "Form at the foot of a page"), ("signup-page", "Signup page"), ("preferences", "Preferences page"), ("import", "CSV import"), ("admin", "Added in the admin")], max_length=12, verbose_name="consent source")),
                ("source_url", models.CharField(blank=True, help_text="The page the form was on when the reader subscribed.", max_length=300, verbose_name="consent page")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("confirmed_at", models.DateTimeField(blank=True, null=True)),
                ("unsubscribed_at", models.DateTimeField(blank=True, null=True)),
                ("status_changed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["newsletter__position", "newsletter__name"],
                "indexes": [models.Index(fields=["newsletter", "status"], name="subscription_audience")],
                "constraints": [models.UniqueConstraint(fields=("subscriber", "newsletter"), name="subscription_once_per_list")],
            },
        ),
        migrations.CreateModel(
            name="SubscriberImport",
            fields=[
                ("id", id_field()),
                ("newsletter", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="imports", to="newsletter.newsletter")),
                ("mode", models.CharField(choices=[("confirmed", "They already agreed: subscribe them now"), ("pending", "Email each a link to confirm first")], max_length=10)),
                ("filename", models.CharField(blank=True, max_length=255)),
                ("data", models.TextField(blank=True, help_text="The uploaded text; emptied once imported.")),
                ("status", models.CharField(choices=[("queued", "Waiting for a worker"), ("running", "Importing"), ("done", "Done"), ("failed", "Failed")], default="queued", max_length=8)),
                ("total_rows", models.PositiveIntegerField(default=0)),
                ("processed_rows", models.PositiveIntegerField(default=0)),
                ("added_count", models.PositiveIntegerField(default=0)),
                ("existing_count", models.PositiveIntegerField(default=0)),
                ("skipped_count", models.PositiveIntegerField(default=0)),
                ("invalid_count", models.PositiveIntegerField(default=0)),
                ("report", models.JSONField(blank=True, default=list, help_text="Rows that were not imported, with the reason.")),
                ("notes", models.TextField(blank=True)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "subscriber import",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        # Editions and what went into them.
        migrations.CreateModel(
            name="Edition",
            fields=[
                ("id", id_field()),
                ("newsletter", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="editions", to="newsletter.newsletter")),
                ("subject", models.CharField(max_length=200)),
                ("preheader", models.CharField(blank=True, help_text="The preview line inboxes show after the subject.", max_length=200)),
                ("intro", models.TextField(blank=True, help_text="A few sentences before the first brief (optional).")),
                ("status", models.CharField(choices=[("draft", "Draft"), ("scheduled", "Scheduled"), ("sending", "Sending"), ("sent", "Sent"), ("cancelled", "Cancelled")], db_index=True, default="draft", max_length=10)),
                ("scheduled_at", models.DateTimeField(blank=True, help_text="When a scheduled edition starts sending.", null=True)),
                ("started_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("finished_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("snapshot", models.JSONField(blank=True, default=dict, editable=False)),
                ("rendered_html", models.TextField(blank=True, editable=False)),
                ("rendered_text", models.TextField(blank=True, editable=False)),
                ("wakeup_at", models.DateTimeField(blank=True, editable=False, help_text="When a deferred send task is due to look at this edition again (retries, a dead worker's lease); at most one is queued.", null=True)),
                # Paused by the breaker: when, the check that failed, what the server said.
                ("blocked_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("blocked_check", models.CharField(blank=True, editable=False, max_length=300)),
                ("blocked_reason", models.CharField(blank=True, editable=False, max_length=64)),
                ("blocked_reply", models.TextField(blank=True, editable=False)),
                ("failure_run", models.PositiveIntegerField(default=0, editable=False)),
                ("failure_reason", models.CharField(blank=True, editable=False, max_length=64)),
                ("recipients_count", models.PositiveIntegerField(default=0, editable=False)),
                ("sent_count", models.PositiveIntegerField(default=0, editable=False)),
                ("failed_count", models.PositiveIntegerField(default=0, editable=False)),
                ("skipped_count", models.PositiveIntegerField(default=0, editable=False)),
                ("created_by", models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [models.Index(fields=["newsletter", "status", "-finished_at"], name="edition_archive")],
            },
        ),
        migrations.CreateModel(
            name="EditionItem",
            fields=[
                ("id", id_field()),
                ("edition", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="items", to="newsletter.edition")),
                ("article", models.ForeignKey(help_text="Only published briefs are sent.", on_delete=django.db.models.deletion.CASCADE, related_name="+", to="articles.article", verbose_name="brief")),
                ("position", models.PositiveIntegerField(default=0)),
                ("all_sections", models.BooleanField(default=True, help_text="Untick to keep only the sections chosen below; with none chosen the brief shows its headline, summary and a link.", verbose_name="keep every section")),
                ("sections", models.ManyToManyField(blank=True, help_text="Sections to keep when “keep every section” is off.", related_name="+", to="articles.section")),
            ],
            options={
                "ordering": ["position", "pk"],
                "constraints": [models.UniqueConstraint(fields=("edition", "article"), name="editionitem_brief_once")],
            },
        ),
        migrations.CreateModel(
            name="SubscriptionEvent",
            fields=[
                ("id", id_field()),
                ("subscription", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="events", to="newsletter.subscription")),
                ("kind", models.CharField(choices=[("requested", "Signed up (unconfirmed)"), ("confirmed", "Confirmed"), ("unsubscribed", "Unsubscribed"), ("bounced", "Bounced"), ("complained", "Marked as spam"), ("imported", "Imported")], max_length=12)),
                ("source", models.CharField(blank=True, max_length=40)),
                ("detail", models.CharField(blank=True, max_length=300)),
                ("edition", models.ForeignKey(blank=True, help_text="The edition this came from: its unsubscribe link, a bounce or a complaint about it.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="subscription_events", to="newsletter.edition")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [models.Index(fields=["kind", "created_at"], name="subevent_daily")],
            },
        ),
        # Sending: the delivery ledger and the addresses never to mail.
        migrations.CreateModel(
            name="Delivery",
            fields=[
                ("id", id_field()),
                ("edition", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="newsletter.edition")),
                ("subscriber", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="newsletter.subscriber")),
                ("status", models.CharField(choices=[("pending", "Waiting"), ("sending", "Being sent"), ("sent", "Sent"), ("failed", "Failed"), ("skipped", "Skipped (no longer subscribed)")], default="pending", max_length=8)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now, help_text="A pending row is not sent before this time (retry back-off).")),
                ("claimed_by", models.CharField(blank=True, max_length=64)),
                ("lease_until", models.DateTimeField(blank=True, help_text="A row still “being sent” after this was held by a worker that died; another worker takes it over.", null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("smtp_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                # What happened after sending, from the provider's webhooks.
                ("message_id", models.CharField(blank=True, db_index=True, help_text="The Message-ID we gave the message, or the provider's id for it.", max_length=255)),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("bounced_at", models.DateTimeField(blank=True, null=True)),
                ("bounce_type", models.CharField(blank=True, choices=[("hard", "Hard bounce"), ("soft", "Soft bounce")], max_length=4)),
                ("complained_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name_plural": "deliveries",
                "ordering": ["pk"],
                "indexes": [models.Index(fields=["edition", "status", "next_attempt_at"], name="delivery_queue")],
                "constraints": [models.UniqueConstraint(fields=("edition", "subscriber"), name="delivery_once_per_subscriber")],
            },
        ),
        migrations.CreateModel(
            name="Suppression",
            fields=[
                ("id", id_field()),
                ("address", models.EmailField(blank=True, help_text="Stored trimmed and in lower case; empty for an erased person.", max_length=254)),
                ("address_hash", models.CharField(blank=True, editable=False, help_text="For an erased person only: a keyed hash of the address.", max_length=64)),
                ("reason", models.CharField(choices=[("hard-bounce", "Hard bounce"), ("soft-bounces", "Soft bounces, too many in a row"), ("complaint", "Marked as spam"), ("erased", "Erased on request"), ("blocked", "Blocked by hand")], max_length=12)),
                ("detail", models.CharField(blank=True, help_text="What the provider or the mail server said, or why it was blocked.", max_length=300)),
                ("source", models.CharField(blank=True, help_text="Where it came from: a provider's webhook, an SMTP reply, the admin (and who), an erasure.", max_length=60)),
                ("edition", models.ForeignKey(blank=True, help_text="The edition that bounced or was marked as spam, when known.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="suppressions", to="newsletter.edition")),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="since")),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(condition=models.Q(("address", ""), _negated=True), fields=("address",), name="suppression_address_once"),
                    models.UniqueConstraint(condition=models.Q(("address_hash", ""), _negated=True), fields=("address_hash",), name="suppression_hash_once"),
                ],
            },
        ),
        # Click and open tracking.
        migrations.CreateModel(
            name="TrackedLink",
            fields=[
                ("id", id_field()),
                ("edition", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="tracked_links", to="newsletter.edition")),
                ("position", models.PositiveIntegerField()),
                ("url", models.TextField()),
                ("kind", models.CharField(choices=[("brief", "Brief"), ("link", "Link in the text")], default="link", max_length=5)),
                ("label", models.CharField(blank=True, help_text="The brief's headline, for a brief.", max_length=300)),
            ],
            options={
                "ordering": ["edition", "position"],
                "constraints": [models.UniqueConstraint(fields=("edition", "position"), name="trackedlink_position_once")],
            },
        ),
        migrations.CreateModel(
            name="Click",
            fields=[
                ("id", id_field()),
                ("link", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="newsletter.trackedlink")),
                ("edition", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="newsletter.edition")),
                ("subscriber", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="newsletter.subscriber")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["at", "pk"],
                "indexes": [models.Index(fields=["edition", "subscriber", "at"], name="click_reader")],
            },
        ),
        migrations.CreateModel(
            name="Open",
            fields=[
                ("id", id_field()),
                ("edition", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="newsletter.edition")),
                ("subscriber", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="newsletter.subscriber")),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["at", "pk"],
                "constraints": [models.UniqueConstraint(fields=("edition", "subscriber"), name="open_once_per_reader")],
            },
        ),
        migrations.RunPython(create_default, migrations.RunPython.noop),
    ]
