"""The articles schema as of 0011_rendered_body, in one migration.

It replaces 0001_initial … 0011_rendered_body: a database that applied all of
them counts this one as applied and runs nothing. A database part-way through
that chain must first migrate with the release that still ships it (see
"Upgrading" in docs/deploying.md), which is why the old one-off fixes of rows
stored by older code are not here: 0005 and 0011 filled new columns for briefs
that already existed, 0007 took trailing colons off labels. A new database has
no such rows, and every other database ran them already.

Kept, because a new database needs them: the standard labels (0002), the
editorial roles (0004), PostgreSQL's GIN index on search_vector (0005) and
SQLite's FTS5 search table with its triggers (0010).
"""

import django.contrib.postgres.search
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import articles.images
import articles.models
from articles.labels import STANDARD_LABELS
from articles.roles import sync_roles

GIN_INDEX = "article_search_vector_gin"


def add_standard_labels(apps, schema_editor):
    # The standard Smart Brevity labels editors start with; they can add more.
    # articles/labels.py says why reading the constant here is safe.
    SectionLabel = apps.get_model("articles", "SectionLabel")
    for position, name in enumerate(STANDARD_LABELS):
        SectionLabel.objects.get_or_create(name=name, defaults={"position": position})


def add_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate);
    # the groups need them now, so create them for the models known so far.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps, schema_editor.connection.alias)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=["Writer", "Editor", "Newsletter editor"]).delete()


def create_gin_index(apps, schema_editor):
    # SearchVectorField is a plain column on SQLite; the index is PostgreSQL's.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} "
            "ON articles_article USING gin (search_vector)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")


def create_fts5_index(apps, schema_editor):
    # The index is derived data, rebuilt from the rows, so the app's current
    # definition is the one to make.
    if schema_editor.connection.vendor == "sqlite":
        from articles.search import sqlite

        sqlite.create_index(schema_editor.connection)


def drop_fts5_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from articles.search import sqlite

        sqlite.drop_index(schema_editor.connection)


def id_field():
    return models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")


class Migration(migrations.Migration):
    initial = True

    replaces = [
        ("articles", "0001_initial"),
        ("articles", "0002_seed_section_labels"),
        ("articles", "0003_workflow"),
        ("articles", "0004_editorial_roles"),
        ("articles", "0005_reader_site"),
        ("articles", "0006_slug_help_text"),
        ("articles", "0007_labels_without_trailing_colon"),
        ("articles", "0008_section_numbered"),
        ("articles", "0009_protect_section_labels"),
        ("articles", "0010_search_fts5"),
        ("articles", "0011_rendered_body"),
    ]

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The roles need auth's and contenttypes' tables as they are now.
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # Taxonomy: what a brief is filed under and who wrote it.
        migrations.CreateModel(
            name="Category",
            fields=[
                ("id", id_field()),
                ("name", models.CharField(max_length=80)),
                ("slug", models.SlugField(max_length=80)),
                ("description", models.TextField(blank=True)),
                ("position", models.PositiveIntegerField(default=0, help_text="Lower numbers come first in the site's navigation.")),
            ],
            options={
                "verbose_name_plural": "categories",
                "ordering": ["position", "name"],
                "constraints": [models.UniqueConstraint(fields=("slug",), name="category_slug_unique")],
            },
        ),
        migrations.CreateModel(
            name="Topic",
            fields=[
                ("id", id_field()),
                ("name", models.CharField(max_length=80)),
                ("slug", models.SlugField(max_length=80)),
                ("description", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["name"],
                "constraints": [models.UniqueConstraint(fields=("slug",), name="topic_slug_unique")],
            },
        ),
        migrations.CreateModel(
            name="Author",
            fields=[
                ("id", id_field()),
                ("name", models.CharField(max_length=120)),
                ("slug", models.SlugField(max_length=120)),
                ("title", models.CharField(blank=True, help_text="Shown under the name, e.g. “Europe editor”.", max_length=120)),
                ("bio", models.TextField(blank=True)),
                ("photo", models.ImageField(blank=True, height_field="photo_height", help_text="A square portrait shows best; JPEG, PNG, WebP or GIF.", upload_to="authors/", validators=[articles.images.validate_image], width_field="photo_width")),
                ("photo_width", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ("photo_height", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ("photo_renditions", models.JSONField(blank=True, default=dict, editable=False)),
                ("user", models.OneToOneField(blank=True, help_text="The admin account that writes as this author, if any.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="author", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["name"],
                "constraints": [models.UniqueConstraint(fields=("slug",), name="author_slug_unique")],
            },
        ),
        migrations.CreateModel(
            name="SectionLabel",
            fields=[
                ("id", id_field()),
                ("name", models.CharField(max_length=60)),
                ("position", models.PositiveIntegerField(default=0)),
            ],
            options={
                "ordering": ["position", "name"],
                "constraints": [models.UniqueConstraint(fields=("name",), name="sectionlabel_name_unique")],
            },
        ),
        # The brief and its parts.
        migrations.CreateModel(
            name="Article",
            fields=[
                ("id", id_field()),
                ("headline", models.CharField(max_length=200)),
                ("slug", models.SlugField(help_text="The last part of the brief's address, after /briefs/. Changing it on a published brief keeps the old address working.", max_length=200)),
                ("dek", models.TextField(blank=True, help_text="One or two plain sentences under the headline; also the meta description, the teaser text and the summary in newsletters.", max_length=400)),
                ("intro", models.TextField(blank=True, help_text="Paragraphs before the first section (optional).")),
                ("category", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="articles", to="articles.category")),
                ("topics", models.ManyToManyField(blank=True, related_name="articles", to="articles.topic")),
                ("hero_image", models.ImageField(blank=True, height_field="hero_height", help_text="JPEG, PNG, WebP or GIF; also the picture on social cards.", upload_to="heroes/%Y/%m/", validators=[articles.images.validate_image], width_field="hero_width")),
                ("hero_width", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ("hero_height", models.PositiveIntegerField(blank=True, editable=False, null=True)),
                ("hero_renditions", models.JSONField(blank=True, default=dict, editable=False)),
                ("hero_alt", models.CharField(blank=True, help_text="Describes the image for readers who cannot see it.", max_length=250, verbose_name="hero image alt text")),
                ("hero_caption", models.CharField(blank=True, max_length=300)),
                ("hero_credit", models.CharField(blank=True, max_length=120)),
                ("status", models.CharField(choices=[("draft", "Draft"), ("review", "In review"), ("published", "Published"), ("unpublished", "Unpublished")], db_index=True, default="draft", max_length=12)),
                ("published_at", models.DateTimeField(blank=True, help_text="Readers see a published brief from this time on; a time in the future schedules it.", null=True, verbose_name="publication time")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("created_by", models.ForeignKey(blank=True, editable=False, help_text="Writers may edit only the briefs they created or have a byline on.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="briefs_created", to=settings.AUTH_USER_MODEL)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("search_document", models.TextField(blank=True, editable=False)),
                ("search_vector", django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                ("body_html", models.TextField(blank=True, editable=False)),
                ("byline_html", models.TextField(blank=True, editable=False)),
                ("body_parts", models.JSONField(blank=True, default=dict, editable=False)),
            ],
            options={
                "verbose_name": "brief",
                "ordering": ["-published_at", "-pk"],
                "permissions": [
                    ("publish_article", "Can publish, schedule and unpublish briefs"),
                    ("edit_any_article", "Can edit briefs other people wrote"),
                ],
                "indexes": [models.Index(fields=["status", "-published_at"], name="article_pub_idx")],
                "constraints": [models.UniqueConstraint(fields=("slug",), name="article_slug_unique")],
            },
        ),
        migrations.CreateModel(
            name="Byline",
            fields=[
                ("id", id_field()),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="bylines", to="articles.article")),
                ("author", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="bylines", to="articles.author")),
                ("position", models.PositiveIntegerField(default=0)),
            ],
            options={
                "ordering": ["position", "pk"],
                "constraints": [models.UniqueConstraint(fields=("article", "author"), name="byline_article_author_unique")],
            },
        ),
        # After Byline: a many-to-many field needs its through model to exist.
        migrations.AddField(
            model_name="article",
            name="authors",
            field=models.ManyToManyField(blank=True, related_name="articles", through="articles.Byline", to="articles.author"),
        ),
        migrations.CreateModel(
            name="Section",
            fields=[
                ("id", id_field()),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="sections", to="articles.article")),
                ("position", models.PositiveIntegerField(default=0)),
                ("label", models.ForeignKey(blank=True, help_text="A standard label, or leave empty and write a custom one.", null=True, on_delete=django.db.models.deletion.PROTECT, to="articles.sectionlabel")),
                ("custom_label", models.CharField(blank=True, help_text="Used when no standard label is chosen, e.g. “Italy is responding to”.", max_length=80)),
                ("heading", models.CharField(blank=True, help_text="Optional bold sentence after the label (“A deeper Italy–Japan axis.”).", max_length=200)),
                ("text", models.TextField(blank=True, verbose_name="lead text")),
                ("numbered", models.BooleanField(default=False, help_text="Readers see the bullets numbered 1, 2, 3… (steps, rankings, a countdown) instead of as a bulleted list.", verbose_name="numbered list")),
            ],
            options={
                "ordering": ["position", "pk"],
                "indexes": [models.Index(fields=["article", "position"], name="section_order_idx")],
            },
        ),
        migrations.CreateModel(
            name="Bullet",
            fields=[
                ("id", id_field()),
                ("section", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="bullets", to="articles.section")),
                ("position", models.PositiveIntegerField(default=0)),
                ("text", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["position", "pk"],
                "indexes": [models.Index(fields=["section", "position"], name="bullet_order_idx")],
            },
        ),
        # Records kept about a brief.
        migrations.CreateModel(
            name="Correction",
            fields=[
                ("id", id_field()),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="corrections", to="articles.article")),
                ("kind", models.CharField(choices=[("correction", "Correction"), ("update", "Update")], default="correction", max_length=12)),
                ("text", models.TextField(blank=True, help_text="Shown to readers at the end of the brief, with its time.")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="PreviewLink",
            fields=[
                ("id", id_field()),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="preview_links", to="articles.article")),
                ("token", models.CharField(default=articles.models.new_preview_token, editable=False, max_length=64)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("revoked_at", models.DateTimeField(blank=True, help_text="A revoked link shows nothing any more.", null=True)),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "constraints": [models.UniqueConstraint(fields=("token",), name="previewlink_token_unique")],
            },
        ),
        migrations.CreateModel(
            name="Revision",
            fields=[
                ("id", id_field()),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="revisions", to="articles.article")),
                ("article_version", models.PositiveIntegerField(help_text="The brief's version number right after this save.")),
                ("snapshot", models.JSONField()),
                ("note", models.CharField(blank=True, max_length=200)),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [models.Index(fields=["article", "-created_at"], name="revision_article_idx")],
            },
        ),
        migrations.CreateModel(
            name="SlugRedirect",
            fields=[
                ("id", id_field()),
                ("old_slug", models.SlugField(max_length=200)),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="slug_redirects", to="articles.article")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("old_slug",), name="slugredirect_old_slug_unique")],
            },
        ),
        # SQLite's FTS5 table, made by create_fts5_index below; Django only reads it.
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                ("article", models.OneToOneField(db_column="rowid", db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name="search_entry", serialize=False, to="articles.article")),
                ("fts", models.TextField(db_column="articles_search")),
            ],
            options={
                "db_table": "articles_search",
                "managed": False,
            },
        ),
        # Rows and database objects a new site needs.
        migrations.RunPython(add_standard_labels, migrations.RunPython.noop),
        migrations.RunPython(add_roles, remove_roles),
        migrations.RunPython(create_gin_index, drop_gin_index),
        migrations.RunPython(create_fts5_index, drop_fts5_index),
    ]
