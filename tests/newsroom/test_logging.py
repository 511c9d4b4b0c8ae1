"""Logs hold no tokens or passwords (newsroom/logging.py, settings.LOGGING)."""

import io
import logging
import os
import re
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
from unittest import mock

from django import urls
from django.conf import settings
from django.core import signing
from django.test import SimpleTestCase, TestCase

import newsroom.logging as redaction
from newsroom import gunicorn_conf
from newsroom.logging import REDACTED, RedactSecrets, redact
from tests.helpers import ROOT, manage


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


# Lines anyone can make the site log (a request path becomes a "Not Found"
# warning and an access line), in shapes that made the old patterns go back
# over the line again and again: each unit repeated up to the length asked.
HOSTILE_UNITS = {
    "mixed-case run (the reported 4 KB path)": "aA1",
    "path segments": "/a",
    "query pairs": "/?a=b&",
    "secret query pairs": "/?token=x&",
    "secret names without a value": "password",
    "secret name=value pairs": "password=",
    "unclosed quotes": "password='",
    "unclosed double quotes": 'password="x ',
    "secret words in one name": "keytoken",
    "spaced pairs in lists": "token = [ 'x' ",
    "signing separators": "a:",
    "encoded separators": "%3A",
    "signature near-misses": "x:" + "A" * 26 + " ",
    "link-token near-misses": "0.0.0.aaaaaaaaaaaaaaaa.",
    "dots": "a.",
    "dashes": "a-",
    "reset-token near-misses": "0" * 39 + "-",
    "equals signs": "=",
    "quotes": "'",
    "spaces": " ",
    "newlines": "\n",
    "redacted markers": REDACTED,
    "everything at once": "/u/aA1.b-c:d=e&f?g'h\"i password=",
}


# Texts longer than this are cut in the middle (the README says 64 KB).
BOUND = 64 * 1024


def hostile(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


class RedactionCostTests(SimpleTestCase):
    """Redaction is linear in the length of a line, whatever its shape.

    Work is counted (`redaction_steps`: characters scanned and characters
    handed to per-token checks), never timed. Before, a 4 KB path cost
    seconds: patterns that restart at every character and rescan the rest.
    """

    def steps(self, text: str) -> int:
        return redaction.redaction_steps(text)

    def test_work_grows_in_proportion_to_the_line_for_hostile_shapes(self):
        for name, unit in HOSTILE_UNITS.items():
            with self.subTest(shape=name):
                small = self.steps(hostile(unit, 16 * 1024))
                large = self.steps(hostile(unit, 64 * 1024))
                # Four times the line, four times the work (quadratic work
                # would be sixteen times), and a few steps per character.
                self.assertLessEqual(large, 4.2 * small, (small, large))
                self.assertLessEqual(large, 12 * 64 * 1024, large)

    def test_a_longer_text_costs_no_more_than_the_bound(self):
        bound = self.steps(hostile("aA1/", BOUND))
        for length in [BOUND + 1, 1024 * 1024, 8 * 1024 * 1024]:
            with self.subTest(length=length):
                self.assertLessEqual(self.steps(hostile("aA1/", length)), 1.1 * bound)

    def test_a_longer_text_keeps_its_start_and_end_and_says_what_was_cut(self):
        text = "START " + "word " * 40_000 + "END"
        cleaned = redact(text)
        self.assertLessEqual(len(cleaned), BOUND + 100)
        self.assertTrue(cleaned.startswith("START word"))
        self.assertTrue(cleaned.endswith("word END"))
        self.assertEqual(
            len(re.findall(r" \[\.\.\. \d+ characters cut \.\.\.\] ", cleaned)), 1
        )

    def test_a_secret_the_cut_would_halve_is_dropped_whole(self):
        secret = secrets.token_urlsafe(32)
        half = BOUND // 2
        # The secret straddles the end of the part kept from the start.
        text = "x " * ((half - 20) // 2) + secret + " y" * 60_000
        self.assertEqual(text.index(secret), half - 20)
        cleaned = redact(text)
        # (assertTrue: a failure should not print 100 KB)
        self.assertTrue("characters cut" in cleaned, "the text was not cut")
        self.assertFalse(secret[:20] in cleaned, "its first part is kept")
        self.assertFalse(secret[20:] in cleaned, "its second part is kept")

    def test_secrets_in_a_long_hostile_line_are_still_redacted(self):
        token, password = a_token(), secrets.token_hex(8)
        line = (
            f"/u/{token}/?sig={password} "
            + hostile("aA1/", 60 * 1024)
            + f" password='{password}'"
        )
        cleaned = redact(line)
        self.assertTrue(cleaned.startswith(f"/u/{REDACTED}/?sig={REDACTED} "))
        self.assertTrue(cleaned.endswith(f" password='{REDACTED}'"))
        for secret in [token, password]:
            self.assertNotIn(secret, cleaned)

    def test_only_the_first_paths_of_a_text_are_resolved(self):
        # Resolving against the URLconf is the one step whose cost is the
        # project's; a line naming a thousand paths resolves a few.
        calls = []
        real_resolve = urls.resolve

        def counting_resolve(path, *args, **kwargs):
            calls.append(path)
            return real_resolve(path, *args, **kwargs)

        token = a_token()
        with mock.patch.object(urls, "resolve", counting_resolve):
            cleaned = redact(f"/u/{token}/ " + "/briefs/x/ " * 1000)
        self.assertEqual(len(calls), redaction.MAX_ROUTE_LOOKUPS)
        self.assertTrue(cleaned.startswith(f"/u/{REDACTED}/ /briefs/x/"))

    def test_redacting_twice_changes_nothing(self):
        token = a_token()
        for line in [
            f'"GET /u/{token}/?token=abc HTTP/1.1" 200 512',
            "password=[redacted]&username=ed",
            "<QueryDict: {'username': ['ed'], 'password': ['hunter2']}>",
            f"signed {signing.dumps({'subscriber': 42})} sent",
        ]:
            with self.subTest(line=line):
                once = redact(line)
                self.assertEqual(redact(once), once)


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


class GunicornLoggingConfigurationTests(SimpleTestCase):
    """gunicorn's logging is Django's LOGGING with gunicorn's loggers added."""

    def test_gunicorn_logs_through_the_handlers_filters_and_formats_of_settings(self):
        for part in ["filters", "formatters", "handlers", "root"]:
            with self.subTest(part=part):
                self.assertEqual(
                    gunicorn_conf.logconfig_dict[part], settings.LOGGING[part]
                )

    def test_gunicorn_keeps_the_loggers_of_settings_and_adds_its_own(self):
        loggers = gunicorn_conf.logconfig_dict["loggers"]
        self.assertEqual(
            set(loggers),
            {*settings.LOGGING["loggers"], "gunicorn.error", "gunicorn.access"},
        )
        for name in ["gunicorn.error", "gunicorn.access"]:
            with self.subTest(logger=name):
                self.assertLessEqual(set(loggers[name]["handlers"]), {"console"})
                self.assertFalse(loggers[name]["propagate"])


class RunserverLogTests(SimpleTestCase):
    """The development server's request lines, read from its real stderr."""

    def test_request_lines_show_paths_but_no_tokens(self):
        port = free_port()
        token = a_token()
        long_token = secrets.token_urlsafe(32)
        output = self.server_output(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                f"127.0.0.1:{port}",
            ],
            port,
            [
                (f"/u/{token}/", None),
                (f"/newsletter/preferences/{token}/", None),
                (f"/no-such-page/?token={long_token}", None),
                (f"/briefs/{long_token}/", None),
                ("/admin/login/", b"username=ed&password=hunter2-secret"),
            ],
            stop_within=10,
            DEBUG="1",
        )
        self.assertIn('"GET /u/[redacted]/ HTTP/1.1"', output)
        self.assertIn("/no-such-page/?token=[redacted]", output)
        for secret in [token, long_token, "hunter2-secret"]:
            self.assertNotIn(secret, output)

    def server_output(self, command, port, requests, *, stop_within, **env) -> str:
        """What the server `command` (on `port`, with its own migrated SQLite
        database) writes to stdout and stderr while `requests`, (path, POST
        body or None), are sent."""
        tmp = self.enterContext(tempfile.TemporaryDirectory())
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("DJANGO_") and k != "ACCESS_LOG"
            },
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "PAGE_CACHE": "0",
            "TASKS_BACKEND": "dummy",
            **env,
        }
        manage(env, "migrate", "--noinput", "-v0", timeout=120)
        log_path = Path(tmp) / "server.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            base = f"http://127.0.0.1:{port}"
            self.wait_for(base)
            for path, data in requests:
                self.fetch(base + path, data)
        finally:
            server.terminate()
            server.wait(timeout=stop_within)
        return log_path.read_text()

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

    def serve(self, paths, **env) -> str:
        """What gunicorn, as configured, writes while `paths` are fetched."""
        port = free_port()
        return self.server_output(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:newsroom.gunicorn_conf",
                "--no-control-socket",
                "newsroom.wsgi:application",
            ],
            port,
            [(path, None) for path in paths],
            stop_within=30,
            GUNICORN_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="1",
            **env,
        )

    def test_request_lines_show_paths_but_no_tokens(self):
        token = a_token()
        long_token = secrets.token_urlsafe(32)
        output = self.serve(
            [f"/u/{token}/?token={long_token}", f"/newsletter/preferences/{token}/"],
            ACCESS_LOG="1",
        )
        self.assertIn(f'"GET /u/{REDACTED}/?token={REDACTED} HTTP/1.1"', output)
        for secret in [token, long_token]:
            self.assertNotIn(secret, output)

    def test_there_is_no_access_log_unless_asked_for(self):
        # The README's promise (ACCESS_LOG, default off): gunicorn's
        # logconfig_dict would otherwise turn access lines on by itself.
        output = self.serve(["/no-such-page/"])
        self.assertIn("Booting worker", output)  # the error log is written
        self.assertIn("Not Found: /no-such-page/", output)  # and Django's
        self.assertNotIn('"GET /', output)
