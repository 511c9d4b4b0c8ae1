"""Helpers several test modules share: the admin's brief form data, a
throwaway MEDIA_ROOT for TestCase classes, the TASKS settings tests switch to,
a GET through a WSGI app (the page cache in front of Django) as gunicorn
passes it, `manage.py` (or a script in its shell) in a process of its own;
for the newsletter tests `start_edition`; for the reader-page tests the site
settings (`on_the_site`), the shared World/Trade/Ada taxonomy and a page-cache
test case on one brief (`HarbourPageCacheTestCase`)."""

import json
import shutil
import subprocess
import sys
import tempfile
from io import BytesIO
from pathlib import Path

from django.test import TransactionTestCase, override_settings

from articles.models import Article
from tests.factories import label

ROOT = Path(__file__).resolve().parent.parent

# The task workers' manage.py arguments as a deployment runs them (make run,
# deploy/systemd), polling often enough for a test.
TASK_WORKER = [
    "worker",
    "--queue-name",
    "*",
    "--interval",
    "0.1",
    "--no-startup-delay",
    "--no-reload",
]
# Deferred tasks (retries, a dead worker's lease) need the scheduler.
RQ_WORKER = [
    "rqworker",
    "default",
    "email",
    "--job-class",
    "django_tasks_rq.Job",
    "--with-scheduler",
]

# TASKS settings for override_settings: tasks run at once, are only recorded
# (DUMMY), or wait in the database for a worker (DB).
QUEUES = ["default", "email"]
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": QUEUES,
    }
}
DUMMY_TASKS = {
    "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": QUEUES}
}
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}


def brief_form(sections, **fields) -> dict:
    """The POST data of the admin's one-screen brief form.

    `sections` is a list of (label_id, custom_label, text, [bullet texts]);
    keys follow nested-admin's prefixes: sections-N-bullets-M-text.
    """
    data = {
        "headline": "Ports reopen after the strike",
        "slug": "ports-reopen",
        "dek": "Cargo moves again after a week.",
        "intro": "<p>Dockers voted to return.</p>",
        "status": Article.Status.PUBLISHED,
        "published_at_0": "2026-01-05",
        "published_at_1": "09:00:00",
        "bylines-TOTAL_FORMS": "0",
        "bylines-INITIAL_FORMS": "0",
        "sections-TOTAL_FORMS": str(len(sections)),
        "sections-INITIAL_FORMS": "0",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
    }
    data.update(fields)
    for i, (label_id, custom, text, bullets) in enumerate(sections):
        prefix = f"sections-{i}"
        data.update(
            {
                f"{prefix}-label": label_id or "",
                f"{prefix}-custom_label": custom,
                f"{prefix}-heading": "",
                f"{prefix}-text": text,
                f"{prefix}-position": str(i),
                f"{prefix}-bullets-TOTAL_FORMS": str(len(bullets)),
                f"{prefix}-bullets-INITIAL_FORMS": "0",
            }
        )
        for j, bullet in enumerate(bullets):
            data[f"{prefix}-bullets-{j}-text"] = bullet
            data[f"{prefix}-bullets-{j}-position"] = str(j)
    return data


def nine_bullets():
    return [
        (
            label("Why it matters").pk,
            "",
            "<p>Trade resumes.</p>",
            ["<p>a1</p>", "<p>a2</p>", "<p>a3</p>"],
        ),
        (label("Driving the news").pk, "", "", ["<p>b1</p>", "<p>b2</p>", "<p>b3</p>"]),
        (None, "Shippers are watching", "", ["<p>c1</p>", "<p>c2</p>", "<p>c3</p>"]),
    ]


class MediaRootMixin:
    """A TestCase mixin: MEDIA_ROOT is a fresh folder for the whole class
    (set before setUpTestData, which may store images), removed afterwards.
    ``cls.media`` is its path."""

    @classmethod
    def setUpClass(cls):
        cls.media = tempfile.mkdtemp()
        cls.media_override = override_settings(MEDIA_ROOT=cls.media)
        cls.media_override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.media_override.disable()
        shutil.rmtree(cls.media, ignore_errors=True)


def call(app, env):
    """`app` called with the WSGI environ `env`: (status, headers, body)."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(env, start_response))
    return seen["status"], seen["headers"], body


def wsgi_get(app, path, *, scheme="https", host="news.example", query="", **headers):
    """One GET through `app` as gunicorn would pass it; (status, headers, body)."""
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": host,
        "wsgi.url_scheme": scheme,
        "wsgi.input": BytesIO(),
        "wsgi.errors": BytesIO(),
        **headers,
    }
    return call(app, env)


def reader_get(app, path, query=""):
    """A reader's GET of http://testserver`path` through `app`: (status, body
    text, whether the page cache answered it)."""
    status, headers, body = wsgi_get(
        app, path, scheme="http", host="testserver", query=query
    )
    return status, body.decode(), headers.get("X-Page-Cache") == "hit"


def manage(env: dict, *args: str, timeout: float = 180) -> str:
    """`manage.py` run in a process of its own with `env`: its output; a
    failure or a timeout fails the test with what it printed."""
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"manage.py {args[0]} took over {timeout}s") from exc
    if done.returncode:
        raise AssertionError(
            f"manage.py {' '.join(args[:1])} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def shell(env: dict, code: str, timeout: float = 180) -> dict:
    """Run `code` in `manage.py shell`; it sets `result`, which comes back."""
    script = f"{code}\nimport json as _json\nprint('RESULT ' + _json.dumps(result))\n"
    output = manage(env, "shell", "-c", script, timeout=timeout)
    line = next(li for li in output.splitlines() if li.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def delete_selected(client, changelist: str, pks, *, confirmed=True, **kwargs):
    """The admin's "Delete selected" action on `pks` from `changelist`, as the
    confirmation page posts it (or, with confirmed=False, as the list does)."""
    data = {"action": "delete_selected", "_selected_action": list(pks)}
    if confirmed:
        data["post"] = "yes"
    return client.post(changelist, data, **kwargs)


def no_wider_than_the_viewport(page) -> bool:
    """A Playwright page has no horizontal scroll at its current width."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# Newsletter tests


def start_edition(edition):
    """`edition` started as the admin's Send button starts it, with the tasks
    queued on commit run (under IMMEDIATE_TASKS that sends it all), and read
    back from the database."""
    # Imported here, not at the top: the rest of this module serves tests
    # that never touch the newsletter.
    from django.test import TestCase

    from newsletter import tasks

    with TestCase.captureOnCommitCallbacks(execute=True):
        tasks.start(edition.pk)
    edition.refresh_from_db()
    return edition


# Reader pages and articles tests

SITE = "https://news.example.org"


def on_the_site(**settings):
    """Settings for the suites that check what readers get from the site:
    SITE_URL is its address whatever host a request names (evil.example is
    allowed so a test can send it and see it ignored), and tasks run at once,
    so what a save renders is on the page."""
    return override_settings(
        SITE_URL=SITE,
        ALLOWED_HOSTS=["testserver", "evil.example"],
        TASKS=IMMEDIATE_TASKS,
        **settings,
    )


def world_trade_ada(*, world=None, trade=None, ada=None):
    """The category World, the topic Trade and the author Ada Reporter (slugs
    world, trade and ada) that the reader-page suites file their briefs under;
    each dict changes or adds fields of that one."""
    from tests.factories import make_author, make_category, make_topic

    return (
        make_category(**{"name": "World", "slug": "world"} | (world or {})),
        make_topic(**{"name": "Trade", "slug": "trade"} | (trade or {})),
        make_author(**{"name": "Ada Reporter", "slug": "ada"} | (ada or {})),
    )


@override_settings(PAGE_CACHE_ENABLED=True, ALLOWED_HOSTS=["testserver"])
class HarbourPageCacheTestCase(TransactionTestCase):
    """The page cache in front of Django as gunicorn serves it (`get(path)`
    gives the status, body and whether the cache answered) and the harbour
    brief of `make_harbour_brief`: `cranes` in `harbours` and `shipping`, by
    `ada`, with its one `section`. A TransactionTestCase: invalidation runs on
    real commits."""

    def setUp(self):
        from django.core.handlers.wsgi import WSGIHandler

        from newsroom.pagecache import PageCache
        from tests.factories import make_harbour_brief

        self.app = PageCache(WSGIHandler())
        self.cranes = make_harbour_brief()
        self.harbours = self.cranes.category
        self.shipping = self.cranes.topics.get()
        [self.ada] = self.cranes.byline_authors
        self.section = self.cranes.sections.get()

    def get(self, path):
        return reader_get(self.app, path)
