import django.db.models.deletion
from django.db import migrations, models


def create_fts5_index(apps, schema_editor):
    # PostgreSQL's index is the GIN index of 0005. The index is derived data,
    # rebuilt from the rows, so the app's current definition is the one to make.
    if schema_editor.connection.vendor == "sqlite":
        from articles.search import sqlite

        sqlite.create_index(schema_editor.connection)


def drop_fts5_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from articles.search import sqlite

        sqlite.drop_index(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0009_protect_section_labels'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchEntry',
            fields=[
                ('article', models.OneToOneField(db_column='rowid', db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='search_entry', serialize=False, to='articles.article')),
                ('fts', models.TextField(db_column='articles_search')),
            ],
            options={
                'db_table': 'articles_search',
                'managed': False,
            },
        ),
        migrations.RunPython(create_fts5_index, drop_fts5_index),
    ]
