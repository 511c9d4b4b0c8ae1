"""CDN purges: the documented API requests, sent after the commit by a task.

Fastly and Cloudflare cannot be reached from here: a local HTTP server
stands in for their APIs (FASTLY_API_URL, CLOUDFLARE_API_URL) and records
each request, answering as the documentation says they do. Varnish is tested
for real in tests/reliability/test_varnish.py.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import SimpleTestCase, TransactionTestCase
from django.utils import timezone

from articles.models import Article
from newsroom import purge
from newsroom.purge.tasks import purge_keys
from tests.factories import make_article, make_author, make_category
from tests.helpers import DUMMY_TASKS, IMMEDIATE_TASKS


class RecordingAPI:
    """An HTTP server on 127.0.0.1 that records requests and answers `status`."""

    def __init__(self):
        self.requests = []
        self.status = 200
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                api.requests.append((self.command, self.path, self.headers, body))
                if self.path.endswith("/purge_cache"):
                    answer = {"success": api.status == 200, "errors": [], "result": {}}
                else:
                    answer = {"status": "ok", "id": "1"}
                data = json.dumps(answer).encode()
                self.send_response(api.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class PurgeTestCase(TransactionTestCase):
    def setUp(self):
        self.api = RecordingAPI()
        self.addCleanup(self.api.close)
        self.category = make_category(name="Harbours", slug="harbours")
        self.article = make_article(
            headline="Cranes return", slug="cranes", category=self.category
        )
        self.draft = make_article(slug="draft", status=Article.Status.DRAFT)

    def edit(self):
        self.article.headline = "Cranes roar back"
        self.article.save()

    def save_draft(self):
        self.draft.headline = "Still a draft"
        self.draft.save()


class FastlyTests(PurgeTestCase):
    def settings_for_fastly(self, tasks=IMMEDIATE_TASKS):
        return self.settings(
            FRONTEND_CACHE_URL="fastly://SERVICE42",
            FASTLY_API_TOKEN="fastly-token",
            FASTLY_API_URL=self.api.url,
            TASKS=tasks,
        )

    def test_an_edit_purges_its_keys_by_surrogate_key(self):
        with self.settings_for_fastly():
            self.edit()
        [(method, path, headers, _)] = self.api.requests
        self.assertEqual((method, path), ("POST", "/service/SERVICE42/purge"))
        self.assertEqual(headers["Fastly-Key"], "fastly-token")
        self.assertEqual(
            set(headers["Surrogate-Key"].split()),
            {f"brief-{self.article.pk}", "search", "sitemap"},
        )

    def test_a_draft_save_purges_nothing(self):
        with self.settings_for_fastly():
            self.save_draft()
        self.assertEqual(self.api.requests, [])

    def test_publishing_purges_the_lists_it_joins(self):
        with self.settings_for_fastly():
            self.draft.publish()
        keys = set(self.api.requests[0][2]["Surrogate-Key"].split())
        self.assertIn("list-home", keys)
        self.assertIn(f"brief-{self.draft.pk}", keys)
        self.assertNotIn(f"list-category-{self.category.pk}", keys)

    def test_commands_that_rewrite_every_brief_purge_every_page(self):
        for command in ("render_briefs", "rebuild_search_index"):
            with self.subTest(command=command), self.settings_for_fastly():
                self.api.requests.clear()
                call_command(command, stdout=StringIO())
                [(_, path, headers, _)] = self.api.requests
                self.assertEqual(path, "/service/SERVICE42/purge")
                self.assertEqual(headers["Surrogate-Key"], "site")

    def test_a_save_only_queues_the_purge(self):
        from django.tasks import default_task_backend

        with self.settings_for_fastly(tasks=DUMMY_TASKS):
            self.edit()
            [queued] = default_task_backend.results
        self.assertEqual(queued.task.name, "purge_keys")
        # Nothing left for the CDN inside the save.
        self.assertEqual(self.api.requests, [])

    def test_a_refused_purge_is_retried_later(self):
        from django.tasks import default_task_backend

        self.api.status = 503
        with self.settings_for_fastly(tasks=DUMMY_TASKS):
            outcome = purge_keys.call(["brief-1"])
            [retry] = default_task_backend.results
        self.assertEqual(outcome, "retry scheduled")
        self.assertEqual(retry.args, [["brief-1"], 2])
        self.assertGreater(retry.task.run_after, timezone.now())
        self.assertEqual(len(self.api.requests), 1)


class CloudflareTests(PurgeTestCase):
    def settings_for_cloudflare(self, by="tags"):
        return self.settings(
            FRONTEND_CACHE_URL="cloudflare://ZONE7",
            CLOUDFLARE_API_TOKEN="cf-token",
            CLOUDFLARE_API_URL=self.api.url,
            CLOUDFLARE_PURGE_BY=by,
            SITE_URL="https://news.example.org",
            TASKS=IMMEDIATE_TASKS,
        )

    def payloads(self):
        for method, path, headers, _body in self.api.requests:
            self.assertEqual(
                (method, path), ("POST", "/client/v4/zones/ZONE7/purge_cache")
            )
            self.assertEqual(headers["Authorization"], "Bearer cf-token")
            self.assertEqual(headers["Content-Type"], "application/json")
        return [json.loads(body) for *_, body in self.api.requests]

    def test_an_edit_purges_its_tags(self):
        with self.settings_for_cloudflare():
            self.edit()
        [payload] = self.payloads()
        self.assertEqual(
            set(payload["tags"]), {f"brief-{self.article.pk}", "search", "sitemap"}
        )

    def test_a_draft_save_purges_nothing(self):
        with self.settings_for_cloudflare():
            self.save_draft()
        self.assertEqual(self.api.requests, [])

    def test_by_url_an_edit_purges_the_brief_and_the_lists_showing_it(self):
        with self.settings_for_cloudflare(by="urls"):
            self.edit()
        files = {url for payload in self.payloads() for url in payload["files"]}
        origin = "https://news.example.org"
        for path in ("/briefs/cranes/", "/", "/category/harbours/", "/feed/"):
            self.assertIn(origin + path, files)
        self.assertNotIn(origin + "/briefs/draft/", files)

    def test_by_url_a_rename_purges_everything(self):
        with self.settings_for_cloudflare(by="urls"):
            author = make_author(name="Ada")
            author.name = "Ada Quill"
            author.save()
        self.assertIn({"purge_everything": True}, self.payloads())


class SettingsTests(SimpleTestCase):
    def test_an_unknown_scheme_says_which_work(self):
        with self.settings(FRONTEND_CACHE_URL="akamai://x"):
            with self.assertRaisesMessage(ImproperlyConfigured, "varnish, fastly"):
                purge.backend()

    def test_fastly_without_a_token_says_what_is_missing(self):
        with self.settings(FRONTEND_CACHE_URL="fastly://SVC", FASTLY_API_TOKEN=""):
            with self.assertRaisesMessage(ImproperlyConfigured, "FASTLY_API_TOKEN"):
                purge.backend()

    def test_several_varnish_servers_each_get_the_purge(self):
        with self.settings(FRONTEND_CACHE_URL="varnish://10.0.0.1:6081,10.0.0.2:6081"):
            self.assertEqual(
                purge.backend().addresses, ["10.0.0.1:6081", "10.0.0.2:6081"]
            )
