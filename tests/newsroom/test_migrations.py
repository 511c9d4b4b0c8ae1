"""Each app's migrations are one squashed migration standing in for the chain
the previous release shipped (docs/deploying.md, "Upgrading"): a database
that release migrated must find nothing to do.
"""

from io import StringIO

from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import TestCase

# What django_migrations holds for these apps on the previous release.
PREVIOUS_RELEASE = {
    "articles": [
        "0001_initial",
        "0002_seed_section_labels",
        "0003_workflow",
        "0004_editorial_roles",
        "0005_reader_site",
        "0006_slug_help_text",
        "0007_labels_without_trailing_colon",
        "0008_section_numbered",
        "0009_protect_section_labels",
        "0010_search_fts5",
        "0011_rendered_body",
    ],
    "newsletter": [
        "0001_initial",
        "0002_default_newsletter",
        "0003_subscriber_import",
        "0004_request_mail_once_a_day",
        "0005_consent_history_kept",
        "0006_subscriber_name_one_line",
        "0007_edition_paused_by_the_breaker",
        "0008_delivery_outcomes",
        "0009_suppression_list",
        "0010_click_and_open_tracking",
    ],
}
SQUASHED = [
    ("articles", "0001_squashed_0011_rendered_body"),
    ("newsletter", "0001_squashed_0010_click_and_open_tracking"),
]


class SquashedMigrationTests(TestCase):
    def record(self, releases):
        """Make django_migrations say what a database of `releases` holds."""
        recorder = MigrationRecorder(connection)
        recorder.migration_qs.filter(app__in=PREVIOUS_RELEASE).delete()
        recorder.migration_qs.bulk_create(
            recorder.Migration(app=app, name=name)
            for app, names in releases.items()
            for name in names
        )

    def test_a_database_the_previous_release_migrated_runs_neither_squash(self):
        self.record(PREVIOUS_RELEASE)
        executor = MigrationExecutor(connection)
        applied = executor.loader.applied_migrations
        self.assertEqual([key for key in SQUASHED if key not in applied], [])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        # Only what came after the squash (articles' 0012_stored_page) runs.
        self.assertEqual([m.name for m, _ in plan if m.replaces], [])
        self.assertEqual(
            [
                m.name
                for m, _ in plan
                if m.name in PREVIOUS_RELEASE.get(m.app_label, ())
            ],
            [],
        )

    def test_a_database_part_way_through_an_old_chain_is_refused_by_migrate(self):
        self.record({"articles": PREVIOUS_RELEASE["articles"][:7], "newsletter": []})
        with self.assertRaises(SystemCheckError) as refused:
            call_command("migrate", plan=True, skip_checks=False, stdout=StringIO())
        message = str(refused.exception)
        self.assertIn("newsroom.E003", message)
        self.assertIn(
            "7 of 11 applied, the last 0007_labels_without_trailing_colon", message
        )

    def test_a_whole_old_chain_or_the_squash_itself_passes_the_check(self):
        for releases in (
            PREVIOUS_RELEASE,
            {app: [name] for app, name in SQUASHED},
        ):
            with self.subTest(releases=sorted(releases)):
                self.record(releases)
                call_command("migrate", plan=True, skip_checks=False, stdout=StringIO())
