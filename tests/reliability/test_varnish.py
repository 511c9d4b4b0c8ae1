"""Debian's Varnish (with varnish-modules' xkey) in front of gunicorn.

Varnish runs deploy/varnish/newsroom.vcl, rewritten only to the test's
gunicorn port; the site purges it through FRONTEND_CACHE_URL=varnish://…
from its task worker (manage.py worker), as in production. Each change is made by
another process (`manage.py shell`), like an editor's save; once the worker
has no task left, the next request through Varnish must show the change on
the pages that show it, and every other page must still come from Varnish:
a publish, an edit, a correction, an unpublish, renames and a scheduled
publication; a draft save, a revision and a preview link purge nothing.

Without varnishd or the xkey vmod the tests skip (fail with
REQUIRE_SERVICES=1).
"""

import re
import shutil
import time
from pathlib import Path

import pytest

from tests.helpers import shell
from tests.reliability.conftest import (
    ROOT,
    free_port,
    request,
    site_env,
    task_backlog,
    unavailable,
    wait_for,
)

VCL = ROOT / "deploy" / "varnish" / "newsroom.vcl"
XKEY = Path("/usr/lib/x86_64-linux-gnu/varnish/vmods/libvmod_xkey.so")

HOME = "/"
CRANES = "/briefs/cranes/"
TRAINS = "/briefs/trains/"
HARBOURS = "/category/harbours/"
RAIL = "/category/rail/"
FEED = "/feed/"
SIGNALS = "/topic/signals/"
ADA = "/author/ada/"
PAGES = (HOME, CRANES, TRAINS, HARBOURS, RAIL, FEED, SIGNALS, ADA)

SETUP = """
from django.utils import timezone
from datetime import timedelta
from articles.models import Article, Author, Byline, Category, Section, Topic
harbours = Category.objects.create(name="Harbours", slug="harbours")
rail = Category.objects.create(name="Rail", slug="rail")
now = timezone.now()
cranes = Article.objects.create(headline="Cranes return to the port", slug="cranes",
    category=harbours, status="published", published_at=now - timedelta(hours=2))
Section.objects.create(article=cranes, custom_label="Why it matters", text="Exports.")
Byline.objects.create(article=cranes, position=0,
    author=Author.objects.create(name="Ada Quill", slug="ada"))
trains = Article.objects.create(headline="Night trains come back", slug="trains",
    category=rail, status="published", published_at=now - timedelta(hours=1))
trains.topics.add(Topic.objects.create(name="Signals", slug="signals"))
Article.objects.create(headline="Dredging plan drafted", slug="dredging",
    category=harbours, status="draft")
result = True
"""


@pytest.fixture(scope="module")
def site(pg_database, module_processes, tmp_path_factory):
    varnishd = shutil.which("varnishd") or "/usr/sbin/varnishd"
    if not Path(varnishd).exists() or not XKEY.exists():
        unavailable("varnishd with the xkey vmod (apt-get install varnish-modules)")
    tmp = tmp_path_factory.mktemp("varnish")
    port = free_port()
    env = site_env(
        tmp,
        pg_database,
        FRONTEND_CACHE_URL=f"varnish://127.0.0.1:{port}",
        PAGE_CACHE_SHARED_SECONDS=3600,
    )
    shell(env, SETUP)
    gunicorn = module_processes.gunicorn(env, workers=2)
    vcl = tmp / "newsroom.vcl"
    vcl.write_text(
        re.sub(r'\.port = "\d+";', f'.port = "{gunicorn.port}";', VCL.read_text())
    )
    varnish = module_processes.start(
        "varnishd",
        [
            varnishd,
            "-F",
            # No privilege separation: the test's files are its user's alone.
            "-j",
            "none",
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(vcl),
            "-n",
            str(tmp / "n"),
        ],
        env,
    )

    def answers():
        try:
            return request("GET", f"http://127.0.0.1:{port}/robots.txt")[0] == 200
        except OSError:
            return False

    wait_for(answers, 60, "varnishd", process=varnish)
    module_processes.worker(env)
    # The set-up's own purges are done before any test warms a page.
    wait_for(lambda: task_backlog(pg_database) == 0, 30, "the set-up's purges")
    return {"env": env, "port": port, "db": pg_database}


def get(site, path):
    status, headers, body = request("GET", f"http://127.0.0.1:{site['port']}{path}")
    return status, headers.get("X-Cache"), body.decode()


def warm(site):
    for path in PAGES:
        get(site, path)
        status, cache, _ = get(site, path)
        assert (path, status, cache) == (path, 200, "hit")


def change(site, code):
    """Run `code` in another process, then wait until the worker has purged."""
    shell(site["env"], code + "\nresult = True\n")
    wait_for(lambda: task_backlog(site["db"]) == 0, 30, "the purge task")


def assert_fresh(site, *, fresh, cached):
    seen = {path: get(site, path) for path in PAGES}
    for path in fresh:
        assert seen[path][1] == "miss", f"{path} still came from Varnish"
    for path in cached:
        assert seen[path][1] == "hit", f"{path} was purged for nothing"
    return seen


def test_publishing_refreshes_its_lists_through_varnish(site):
    warm(site)
    change(
        site,
        "from articles.models import Article\n"
        "Article.objects.get(slug='dredging').publish()",
    )
    seen = assert_fresh(
        site, fresh=(HOME, HARBOURS, FEED), cached=(CRANES, TRAINS, RAIL)
    )
    assert "Dredging plan drafted" in seen[HOME][2]


def test_an_edit_refreshes_the_pages_showing_the_brief(site):
    warm(site)
    change(
        site,
        "from articles.models import Article\n"
        "a = Article.objects.get(slug='cranes')\n"
        "a.headline = 'Cranes roar back'\n"
        "a.save()",
    )
    seen = assert_fresh(
        site, fresh=(HOME, CRANES, HARBOURS, FEED), cached=(TRAINS, RAIL)
    )
    assert "Cranes roar back" in seen[CRANES][2]


def test_a_draft_save_purges_nothing(site):
    warm(site)
    change(
        site,
        "from articles.models import Article\n"
        "d = Article.objects.create(headline='Quiet draft', slug='quiet')\n"
        "d.headline = 'Quiet draft, again'\n"
        "d.save()",
    )
    assert_fresh(site, fresh=(), cached=PAGES)


def test_a_revision_purges_nothing(site):
    warm(site)
    change(
        site,
        "from articles import revisions\n"
        "from articles.models import Article\n"
        "revisions.record(Article.objects.get(slug='cranes'), note='Checked')",
    )
    assert_fresh(site, fresh=(), cached=PAGES)


def test_a_preview_link_purges_nothing(site):
    change(
        site,
        "from articles.models import Article\n"
        "Article.objects.create(headline='Lock gates', slug='gates')",
    )
    warm(site)
    change(
        site,
        "from articles.models import Article, PreviewLink\n"
        "PreviewLink.objects.create(article=Article.objects.get(slug='gates'))",
    )
    assert_fresh(site, fresh=(), cached=PAGES)


def test_a_correction_refreshes_its_brief_and_leaves_other_briefs(site):
    warm(site)
    change(
        site,
        "from articles.models import Article, Correction\n"
        "Correction.objects.create(article=Article.objects.get(slug='cranes'),"
        " text='An earlier version misnamed the port.')",
    )
    seen = assert_fresh(site, fresh=(CRANES,), cached=(TRAINS, RAIL, SIGNALS))
    assert "misnamed the port" in seen[CRANES][2]


def test_unpublishing_refreshes_the_lists_it_leaves(site):
    warm(site)
    change(
        site,
        "from articles.models import Article\n"
        "a = Article.objects.get(slug='trains')\n"
        "a.status = 'unpublished'\n"
        "a.save()",
    )
    status, cache, _ = get(site, TRAINS)
    assert (status, cache) == (404, "miss")
    seen = {path: get(site, path) for path in (HOME, RAIL, CRANES, HARBOURS)}
    assert seen[HOME][1] == "miss" and "Night trains" not in seen[HOME][2]
    assert seen[RAIL][1] == "miss"
    assert seen[CRANES][1] == "hit" and seen[HARBOURS][1] == "hit"
    # Back for the next test.
    change(
        site,
        "from articles.models import Article\n"
        "Article.objects.get(slug='trains').publish()",
    )


def test_a_scheduled_brief_refreshes_its_lists_when_its_time_comes(site):
    warm(site)
    due = time.time() + 8
    shell(
        site["env"],
        "from datetime import UTC, datetime\n"
        "from articles.models import Article, Category\n"
        "Article.objects.create(headline='Timetable change at noon', slug='noon',"
        " category=Category.objects.get(slug='rail'), status='published',"
        f" published_at=datetime.fromtimestamp({due}, tz=UTC))\n"
        "result = True\n",
    )
    # Scheduled, not yet public: every page stays in Varnish.
    for path in PAGES:
        assert get(site, path)[1] == "hit", path
    # No request reaches Django meanwhile: the worker's task, queued for
    # the brief's time, finds it and purges.
    wait_for(
        lambda: time.time() > due and task_backlog(site["db"]) == 0,
        60,
        "the scheduled check and its purge",
    )
    seen = assert_fresh(
        site, fresh=(HOME, RAIL, FEED), cached=(CRANES, TRAINS, HARBOURS)
    )
    assert "Timetable change at noon" in seen[HOME][2]
    assert "Timetable change at noon" in seen[RAIL][2]


# Renames: the worker re-renders the briefs showing the name (a task), and
# that commit purges their pages; `change` waits for both.


def rename(site, model, slug, name):
    change(
        site,
        f"from articles.models import {model}\n"
        f"thing = {model}.objects.get(slug={slug!r})\n"
        f"thing.name = {name!r}\n"
        "thing.save()",
    )


def test_renaming_an_author_refreshes_the_pages_naming_them(site):
    warm(site)
    rename(site, "Author", "ada", "Ada Q. Quill")
    seen = assert_fresh(site, fresh=(CRANES, ADA), cached=(TRAINS, RAIL, SIGNALS))
    assert "Ada Q. Quill" in seen[CRANES][2]


def test_renaming_a_topic_refreshes_the_pages_naming_it(site):
    warm(site)
    rename(site, "Topic", "signals", "Signalling")
    seen = assert_fresh(site, fresh=(TRAINS, SIGNALS), cached=(CRANES, HARBOURS, ADA))
    assert "Signalling" in seen[TRAINS][2]


def test_renaming_a_category_refreshes_every_page_with_the_navigation(site):
    warm(site)
    rename(site, "Category", "rail", "Railways")
    seen = assert_fresh(site, fresh=(HOME, CRANES, TRAINS, HARBOURS, RAIL), cached=())
    assert "Railways" in seen[CRANES][2]
