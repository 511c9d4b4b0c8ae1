"""Logs hold no tokens or passwords (newsroom/logging.py, settings.LOGGING)."""

import io
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.core import signing
from django.test import SimpleTestCase, TestCase

from newsroom.logging import REDACTED, RedactSecrets, redact

ROOT = Path(__file__).resolve().parents[2]


def a_token() -> str:
    """Something shaped like the site's link tokens (id.list.mac)."""
    return f"2s.1.{secrets.token_urlsafe(12)}"


class RedactTests(SimpleTestCase):
    def test_it_redacts_tokens_captured_by_token_routes(self):
        token = a_token()
        for line in [
            f'"GET /u/{token}/ HTTP/1.1" 200 512',
            f"Not Found: /newsletter/confirm/{token}/",
            f'"POST /newsletter/preferences/{token}/?from=mail HTTP/1.1" 302 0',
            f"/preview/{token}/",
        ]:
            with self.subTest(line=line):
                cleaned = redact(line)
                self.assertNotIn(token, cleaned)
                self.assertIn(REDACTED, cleaned)

    def test_it_keeps_the_rest_of_a_request_line(self):
        token = a_token()
        cleaned = redact(f'"GET /u/{token}/?utm_source=mail HTTP/1.1" 200 512')
        self.assertEqual(
            cleaned, f'"GET /u/{REDACTED}/?utm_source=mail HTTP/1.1" 200 512'
        )

    def test_it_leaves_ordinary_paths_alone(self):
        line = '"GET /briefs/ports-reopen-after-a-long-strike-2026/?page=2&author=ana HTTP/1.1" 200 9'
        self.assertEqual(redact(line), line)

    def test_it_redacts_sensitive_query_parameters(self):
        cleaned = redact("/briefs/x/?page=2&token=abc&api_key=k1&sig=zz&q=ports")
        self.assertEqual(
            cleaned,
            f"/briefs/x/?page=2&token={REDACTED}&api_key={REDACTED}&sig={REDACTED}&q=ports",
        )

    def test_it_redacts_django_signed_values_anywhere(self):
        dumped = signing.dumps({"subscriber": 42}, salt="newsletter.confirm")
        signed = signing.TimestampSigner().sign("42")
        cleaned = redact(
            f"confirming {dumped} for {signed} (encoded: {dumped.replace(':', '%3A')})"
        )
        for secret in [dumped, signed, dumped.replace(":", "%3A")]:
            self.assertNotIn(secret, cleaned)

    def test_it_redacts_long_random_strings(self):
        for secret in [secrets.token_urlsafe(32), secrets.token_hex(24)]:
            with self.subTest(secret=secret):
                self.assertEqual(redact(f"link {secret} sent"), f"link {REDACTED} sent")

    def test_it_redacts_password_fields_in_every_common_shape(self):
        for text in [
            "password=hunter2&username=ed",
            "{'username': 'ed', 'password': 'hunter2'}",
            '{"username": "ed", "password": "hunter2"}',
            "new_password1=hunter2 new_password2=hunter2",
            "<QueryDict: {'username': ['ed'], 'password': ['hunter2']}>",
        ]:
            with self.subTest(text=text):
                cleaned = redact(text)
                self.assertNotIn("hunter2", cleaned)
                self.assertIn("ed", cleaned)


class RedactSecretsFilterTests(SimpleTestCase):
    def record(self, msg, *args, exc_info=None):
        return logging.LogRecord("x", logging.WARNING, __file__, 1, msg, args, exc_info)

    def test_it_rewrites_the_formatted_message(self):
        token = a_token()
        record = self.record("Not Found: %s", f"/u/{token}/")
        self.assertTrue(RedactSecrets().filter(record))
        self.assertEqual(record.getMessage(), f"Not Found: /u/{REDACTED}/")

    def test_it_rewrites_tracebacks(self):
        try:
            raise ValueError("bad password='hunter2'")
        except ValueError:
            record = self.record("failed", exc_info=sys.exc_info())
        RedactSecrets().filter(record)
        self.assertIn("ValueError", record.exc_text)
        self.assertNotIn("hunter2", record.exc_text)

    def test_a_broken_record_is_passed_on_untouched(self):
        record = self.record("%d", "not a number")
        self.assertTrue(RedactSecrets().filter(record))


@contextmanager
def captured_site_log():
    """What the configured root handlers write, while the block runs."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in h.filters)
    ]
    assert handlers, "no root handler carries RedactSecrets"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    try:
        yield stream
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            handler.setStream(old)


class LoggingConfigurationTests(TestCase):
    def test_every_django_logger_ends_in_the_redacting_handler(self):
        for name in ["django", "django.server", "django.request", "django.security"]:
            with self.subTest(logger=name):
                logger = logging.getLogger(name)
                chain = []
                while logger:
                    chain.extend(logger.handlers)
                    logger = logger.parent if logger.propagate else None
                self.assertTrue(chain)
                for handler in chain:
                    if type(handler).__module__.startswith("_pytest"):
                        continue  # pytest's own capture, not the site's
                    self.assertTrue(
                        any(isinstance(f, RedactSecrets) for f in handler.filters),
                        f"{name} reaches {handler!r} without the filter",
                    )

    def test_a_requests_log_holds_neither_its_token_nor_a_password(self):
        token = a_token()
        dumped = signing.dumps({"subscriber": 42}, salt="newsletter.confirm")
        with captured_site_log() as log:
            self.client.get(f"/u/{token}/")
            self.client.get(f"/newsletter/confirm/{dumped}/")
            self.client.get(f"/no-such-page/{token}/?token={token}")
            self.client.post(
                "/admin/login/", {"username": "editor", "password": "hunter2-secret"}
            )
            logging.getLogger("newsletter").warning(
                "signup form invalid: %s", {"email": "x", "password": "hunter2-secret"}
            )
        output = log.getvalue()
        self.assertIn("Not Found: /no-such-page/", output)  # the log was written
        self.assertIn("signup form invalid", output)
        for secret in [token, dumped, "hunter2-secret"]:
            self.assertNotIn(secret, output)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunserverLogTests(SimpleTestCase):
    """The development server's request lines, read from its real stderr."""

    def test_request_lines_show_paths_but_no_tokens(self):
        tmp = self.enterContext(tempfile.TemporaryDirectory())
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "DEBUG": "1",
            "PAGE_CACHE": "0",
            "TASKS_BACKEND": "dummy",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        port = free_port()
        stderr_path = Path(tmp) / "stderr.log"
        with open(stderr_path, "w") as stderr:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "runserver",
                    "--noreload",
                    f"127.0.0.1:{port}",
                ],
                cwd=ROOT,
                env=env,
                stdout=stderr,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            self.wait_for(base)
            token = a_token()
            long_token = secrets.token_urlsafe(32)
            for path in [
                f"/u/{token}/",
                f"/newsletter/preferences/{token}/",
                f"/no-such-page/?token={long_token}",
                f"/briefs/{long_token}/",
            ]:
                self.fetch(base + path)
            self.fetch(
                base + "/admin/login/", data=b"username=ed&password=hunter2-secret"
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
        output = stderr_path.read_text()
        self.assertIn('"GET /u/[redacted]/ HTTP/1.1"', output)
        self.assertIn("/no-such-page/?token=[redacted]", output)
        for secret in [token, long_token, "hunter2-secret"]:
            self.assertNotIn(secret, output)

    @staticmethod
    def fetch(url, data=None):
        try:
            urllib.request.urlopen(url, data=data, timeout=10).read()
        except urllib.error.HTTPError:
            pass

    @staticmethod
    def wait_for(base):
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/admin/login/", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


class GunicornLogTests(RunserverLogTests):
    """The production server's access and error lines (newsroom/gunicorn_conf.py)."""

    def test_request_lines_show_paths_but_no_tokens(self):
        tmp = self.enterContext(tempfile.TemporaryDirectory())
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "PAGE_CACHE": "0",
            "TASKS_BACKEND": "dummy",
            "ACCESS_LOG": "1",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        log_path = Path(tmp) / "gunicorn.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "python:newsroom.gunicorn_conf",
                    "newsroom.wsgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            self.wait_for(base)
            token = a_token()
            long_token = secrets.token_urlsafe(32)
            self.fetch(f"{base}/u/{token}/?token={long_token}")
            self.fetch(f"{base}/newsletter/preferences/{token}/")
        finally:
            server.terminate()
            server.wait(timeout=30)
        output = log_path.read_text()
        self.assertIn(f'"GET /u/{REDACTED}/?token={REDACTED} HTTP/1.1"', output)
        for secret in [token, long_token]:
            self.assertNotIn(secret, output)
