"""INSTALLED_APPS and MIDDLEWARE, as each task backend loads them.

The lists are read in a subprocess per backend: settings are a module read
once, so the only honest way to see another configuration is a fresh import.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]

APPS = [
    "newsroom.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "nested_admin",
    "django_prose_editor",
    "django_tasks_db",
    "newsroom",
    "articles",
    "newsletter",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "articles.http.CacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "newsroom.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]


def lists_for(tasks_backend: str) -> dict:
    code = (
        "import json; from newsroom import settings as s;"
        "print(json.dumps({'apps': s.INSTALLED_APPS, 'middleware': s.MIDDLEWARE}))"
    )
    env = os.environ | {"TASKS_BACKEND": tasks_backend}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class AppsAndMiddlewareTests(SimpleTestCase):
    def test_the_database_task_backend_loads_the_apps_and_middleware_in_order(self):
        found = lists_for("db")
        self.assertEqual(found["apps"], APPS)
        self.assertEqual(found["middleware"], MIDDLEWARE)

    def test_the_rq_task_backend_adds_django_rq_last(self):
        found = lists_for("rq")
        self.assertEqual(found["apps"], [*APPS, "django_rq"])
        self.assertEqual(found["middleware"], MIDDLEWARE)

    def test_the_in_process_task_backends_load_the_same_lists_as_the_database_one(
        self,
    ):
        for backend in ("immediate", "dummy"):
            with self.subTest(backend=backend):
                found = lists_for(backend)
                self.assertEqual(found["apps"], APPS)
                self.assertEqual(found["middleware"], MIDDLEWARE)
