"""The production configuration, exercised for real in subprocesses.

Production is DEBUG=0 and the variables the README's "Deploying" section
lists; nothing here edits settings, so what passes here is what ships.
"""

import configparser
import getpass
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import tomllib
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from django.test import SimpleTestCase

from tests.newsroom.error_urls import SECRET_DETAIL

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = secrets.token_urlsafe(60)


def production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        # Only the deployment's own variables: nothing from the test run.
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR"}
    }
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "example.com",
            "SITE_URL": "https://example.com",
            "CSRF_TRUSTED_ORIGINS": "https://example.com",
            "EMAIL_URL": "smtp://newsroom:mail-password@mail.example.com:587?tls=1",
            "CACHE_URL": "redis://127.0.0.1:6379/9",
            "DATABASE_URL": "sqlite://:memory:",
            # deploy/nginx/newsroom.conf serves MEDIA_ROOT (deploy/README.md).
            "MEDIA_SERVED_BY": "nginx",
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@cache
def probe() -> dict:
    # A per-process cache here, so the probe needs no Redis server.
    env = production_env(CACHE_URL="locmem://probe")
    result = run(["-m", "tests.newsroom.production_probe"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class DeployCheckTests(SimpleTestCase):
    def test_check_deploy_reports_nothing_for_the_production_settings(self):
        result = run(
            ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            production_env(),
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("no issues", result.stdout)

    def test_check_deploy_passes_behind_a_trusted_proxy_too(self):
        env = production_env(BEHIND_HTTPS_PROXY="1", TRUSTED_PROXIES="10.0.0.0/8")
        result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)

    def test_check_deploy_warns_when_nothing_serves_local_media(self):
        # With DEBUG off nothing in Django serves /media/: every image would
        # be a 404 unless something in front does (deploy/nginx) or S3 holds them.
        env = production_env(MEDIA_SERVED_BY=None)
        result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("newsroom.W008", result.stderr)

    def test_media_in_a_bucket_need_no_server_in_front(self):
        env = production_env(
            MEDIA_SERVED_BY=None, AWS_STORAGE_BUCKET_NAME="newsroom-media"
        )
        result = run(["manage.py", "check", "--deploy"], env)
        self.assertNotIn("newsroom.W008", result.stderr + result.stdout)

    def test_check_deploy_fails_on_a_plain_http_site_url(self):
        # The gate can fail: the same command with one wrong variable.
        env = production_env(SITE_URL="http://example.com")
        result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("newsroom.W001", result.stderr)


class SecretsFromTheEnvironmentTests(SimpleTestCase):
    def test_production_refuses_to_start_without_a_secret_key(self):
        result = run(["manage.py", "check"], production_env(SECRET_KEY=None))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY must be set", result.stderr)

    def test_the_secret_key_can_come_from_a_mounted_file(self):
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / "secret"
        path.write_text(SECRET_KEY + "\n")
        env = production_env(SECRET_KEY=None, SECRET_KEY_FILE=str(path))
        code = "from django.conf import settings; print(settings.SECRET_KEY)"
        result = run(
            ["-c", f"import django; django.setup(); {code}"],
            env | {"DJANGO_SETTINGS_MODULE": "newsroom.settings"},
        )
        self.assertEqual(result.stdout.strip(), SECRET_KEY, result.stderr)

    def test_an_old_key_keeps_signed_links_working_after_a_rotation(self):
        old_key = secrets.token_urlsafe(60)
        sign = (
            "import django; django.setup(); from django.core import signing;"
            "print(signing.dumps('subscriber-42'))"
        )
        settings_module = {"DJANGO_SETTINGS_MODULE": "newsroom.settings"}
        made = run(["-c", sign], production_env(SECRET_KEY=old_key) | settings_module)
        self.assertEqual(made.returncode, 0, made.stderr)
        token = made.stdout.strip()
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / "old-keys"
        path.write_text(f"{old_key}\n")
        check = (
            "import sys, django; django.setup(); from django.core import signing;"
            "print(signing.loads(sys.argv[1]))"
        )
        rotated = production_env(SECRET_KEY_FALLBACKS_FILE=str(path)) | settings_module
        result = run(["-c", check, token], rotated)
        self.assertEqual(result.stdout.strip(), "subscriber-42", result.stderr)
        without = run(["-c", check, token], production_env() | settings_module)
        self.assertIn("BadSignature", without.stderr)

    def test_settings_hold_no_secret_literals(self):
        # The only literal key is the development one, used only with DEBUG on.
        source = (ROOT / "newsroom" / "settings.py").read_text()
        self.assertEqual(source.count("dev-only-insecure-key"), 1)
        self.assertIn("if not DEBUG:\n        raise ImproperlyConfigured", source)


class ProductionHeadersTests(SimpleTestCase):
    def test_https_pages_carry_the_security_headers(self):
        for name in ["home", "admin_login"]:
            with self.subTest(page=name):
                response = probe()[name]
                self.assertEqual(response["status"], 200)
                headers = {k.lower(): v for k, v in response["headers"].items()}
                self.assertEqual(
                    headers["strict-transport-security"],
                    "max-age=31536000; includeSubDomains; preload",
                )
                self.assertEqual(headers["x-content-type-options"], "nosniff")
                self.assertEqual(headers["x-frame-options"], "DENY")
                self.assertEqual(
                    headers["referrer-policy"], "strict-origin-when-cross-origin"
                )
                csp = headers["content-security-policy"]
                self.assertIn("default-src 'self'", csp)
                self.assertIn("frame-ancestors 'none'", csp)
                self.assertIn("object-src 'none'", csp)
                self.assertNotIn("unsafe-inline", csp)
                self.assertNotIn("unsafe-eval", csp)

    def test_session_and_csrf_cookies_are_secure(self):
        result = run(
            [
                "-c",
                "import django; django.setup(); from django.conf import settings as s;"
                "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
                " s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT)",
            ],
            production_env(DJANGO_SETTINGS_MODULE="newsroom.settings"),
        )
        self.assertEqual(result.stdout.split(), ["True"] * 4, result.stderr)

    def test_plain_http_is_redirected_to_https(self):
        response = probe()["home_over_http"]
        self.assertEqual(response["status"], 301)
        self.assertEqual(response["headers"]["Location"], "https://example.com/")


class ProductionErrorPagesTests(SimpleTestCase):
    LEAKS = [
        "Traceback",
        "RuntimeError",
        SECRET_DETAIL,
        SECRET_KEY,
        "SECRET_KEY",
        "mail-password",
        "DJANGO_SETTINGS_MODULE",
        "INSTALLED_APPS",
        "error_urls",
        "Using the URLconf",
        "settings.py",
        "site-packages",
    ]

    def assertRevealsNothing(self, body):
        for leak in self.LEAKS:
            self.assertNotIn(leak, body)

    def test_a_server_error_shows_a_plain_page(self):
        response = probe()["server_error"]
        self.assertEqual(response["status"], 500)
        self.assertIn("text/html", response["headers"]["Content-Type"])
        self.assertRevealsNothing(response["body"])
        if (ROOT / "templates" / "500.html").exists():
            # The site's own page (templates/500.html), not Django's bare one.
            self.assertIn("Newsroom", response["body"])

    def test_a_missing_page_does_not_list_the_urlconf(self):
        response = probe()["not_found"]
        self.assertEqual(response["status"], 404)
        self.assertRevealsNothing(response["body"])
        self.assertNotIn("token=abc", response["body"])

    def test_an_unknown_host_is_refused_without_detail(self):
        response = probe()["bad_host"]
        self.assertEqual(response["status"], 400)
        self.assertRevealsNothing(response["body"])
        self.assertNotIn("ALLOWED_HOSTS", response["body"])

    def test_an_unknown_host_is_refused_with_the_security_headers(self):
        # DisallowedHost is raised inside CommonMiddleware, so only the
        # middleware outside it sees the 400 on its way out.
        response = probe()["bad_host"]
        headers = {k.lower(): v for k, v in response["headers"].items()}
        self.assertIn("frame-ancestors 'none'", headers["content-security-policy"])
        self.assertIn("default-src 'self'", headers["content-security-policy"])
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        self.assertEqual(
            headers["strict-transport-security"],
            "max-age=31536000; includeSubDomains; preload",
        )


class MediaOnS3Tests(SimpleTestCase):
    """AWS_STORAGE_BUCKET_NAME switches media to django-storages (the s3 extra)."""

    def settings_for(self, **env) -> dict:
        code = (
            "import json, django; django.setup(); from django.conf import settings as s;"
            "print(json.dumps({'storage': s.STORAGES['default'],"
            " 'img': s.SECURE_CSP['img-src']}))"
        )
        result = run(
            ["-c", code],
            production_env(DJANGO_SETTINGS_MODULE="newsroom.settings", **env),
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_without_a_bucket_media_stay_on_the_filesystem(self):
        found = self.settings_for()
        self.assertEqual(
            found["storage"]["BACKEND"], "django.core.files.storage.FileSystemStorage"
        )
        self.assertEqual(found["img"], ["'self'", "data:"])

    def test_an_s3_compatible_endpoint_is_used_and_allowed_by_the_csp(self):
        found = self.settings_for(
            AWS_STORAGE_BUCKET_NAME="newsroom-media",
            AWS_S3_ENDPOINT_URL="https://s3.example.net",
            AWS_SECRET_ACCESS_KEY="never-in-settings",
        )
        self.assertEqual(found["storage"]["BACKEND"], "storages.backends.s3.S3Storage")
        options = found["storage"]["OPTIONS"]
        self.assertEqual(options["bucket_name"], "newsroom-media")
        self.assertEqual(options["endpoint_url"], "https://s3.example.net")
        self.assertIs(options["querystring_auth"], False)
        self.assertNotIn("never-in-settings", json.dumps(found))
        self.assertIn("https://s3.example.net", found["img"])

    def test_a_cdn_domain_is_the_one_origin_allowed(self):
        found = self.settings_for(
            AWS_STORAGE_BUCKET_NAME="newsroom-media",
            AWS_S3_CUSTOM_DOMAIN="media.example.com",
        )
        self.assertEqual(found["img"], ["'self'", "data:", "https://media.example.com"])

    def test_check_says_when_the_s3_extra_is_missing(self):
        env = production_env(AWS_STORAGE_BUCKET_NAME="newsroom-media")
        result = run(["manage.py", "check"], env)
        if find_spec("storages") and find_spec("boto3"):
            self.assertEqual(result.returncode, 0, result.stderr)
        else:
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("newsroom.E002", result.stderr)
            self.assertIn("django-storages[s3]", result.stderr)


def systemd_environment(text: str) -> dict:
    """deploy/env.example as systemd's EnvironmentFile= reads it, for the
    forms the file allows: NAME=value or NAME='value', comments on their own
    lines. Anything else fails, so the file keeps to what both readers agree on."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), line
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
            assert "'" not in value, line
        else:
            assert re.fullmatch(r"[A-Za-z0-9_.,:/@%?=+-]*", value), line
        values[name] = value
    return values


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((ROOT / "deploy" / "systemd" / name).read_text())
    return parser


class ShippedDeploymentTests(SimpleTestCase):
    """The files deploy/README.md installs on one machine agree with each
    other and with the settings."""

    def env_file(self, **overrides) -> Path:
        """deploy/env.example with its placeholders filled in for this machine."""
        tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        text = (ROOT / "deploy" / "env.example").read_text()
        for old, new in [
            ("SECRET_KEY=change-me", f"SECRET_KEY={SECRET_KEY}"),
            ("postgres:///newsroom", f"sqlite:///{tmp}/db.sqlite3"),
            ("/srv/newsroom/", f"{tmp}/"),
            *overrides.items(),
        ]:
            self.assertIn(old, text)
            text = text.replace(old, new)
        path = tmp / "env"
        path.write_text(text)
        return path

    def manage(self, env_file: Path, *args) -> subprocess.CompletedProcess:
        env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
        env |= {"NEWSROOM_USER": getpass.getuser(), "NEWSROOM_ENV": str(env_file)}
        return subprocess.run(
            ["sh", str(ROOT / "deploy" / "manage.sh"), *args],
            cwd="/",
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def test_the_documented_environment_passes_check_deploy(self):
        result = self.manage(
            self.env_file(), "check", "--deploy", "--fail-level", "WARNING"
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("no issues", result.stdout)

    def test_the_placeholder_secret_key_fails_check_deploy(self):
        # The gate can fail: left as shipped, the key is refused.
        path = self.env_file(**{f"SECRET_KEY={SECRET_KEY}": "SECRET_KEY=change-me"})
        result = self.manage(path, "check", "--deploy", "--fail-level", "WARNING")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W009", result.stderr)

    def test_systemd_and_the_shell_read_the_environment_file_alike(self):
        path = self.env_file()
        expected = systemd_environment(path.read_text())
        shell = subprocess.run(
            ["sh", "-c", 'set -a; . "$1"; set +a; env -0', "sh", str(path)],
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            timeout=30,
        )
        self.assertEqual(shell.returncode, 0, shell.stderr)
        seen = dict(
            item.decode().split("=", 1) for item in shell.stdout.split(b"\0") if item
        )
        self.assertEqual({name: seen.get(name) for name in expected}, expected)
        self.assertEqual(
            expected["DEFAULT_FROM_EMAIL"], "Example News <news@example.com>"
        )

    def test_the_units_nginx_and_the_environment_agree(self):
        env = systemd_environment((ROOT / "deploy" / "env.example").read_text())
        nginx = (ROOT / "deploy" / "nginx" / "newsroom.conf").read_text()
        socket_unit = unit("newsroom-web.socket")
        web, worker = unit("newsroom-web.service"), unit("newsroom-worker.service")
        # nginx sends requests where systemd listens for gunicorn.
        address = socket_unit["Socket"]["ListenStream"]
        self.assertIn(f"server {address} ", nginx)
        self.assertTrue(address.startswith("127.0.0.1:"))
        # nginx serves MEDIA_ROOT at /media/ (root is the folder above it).
        media = Path(env["MEDIA_ROOT"])
        self.assertEqual(media.name, "media")
        self.assertIn(f"root {media.parent};", nginx)
        for service in (web, worker):
            section = service["Service"]
            self.assertEqual(section["Restart"], "always")
            self.assertEqual(section["User"], "newsroom")
            self.assertEqual(section["EnvironmentFile"], "/etc/newsroom/env")
            writable = section["ReadWritePaths"].split()
            self.assertIn(str(media), writable)
            self.assertIn(str(Path(env["PAGE_CACHE_VERSION_FILE"]).parent), writable)
            self.assertEqual(section["ProtectSystem"], "strict")
        self.assertIn("python:newsroom.gunicorn_conf", web["Service"]["ExecStart"])
        self.assertEqual(web["Unit"]["Requires"], "newsroom-web.socket")
        # Our worker, which reconnects when the database drops it (db_worker exits).
        self.assertIn(
            'manage.py worker --queue-name "*"', worker["Service"]["ExecStart"]
        )

    def test_the_units_pass_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed (Debian's systemd).")
        tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        env_file = self.env_file()
        names = [
            "newsroom-web.socket",
            "newsroom-web.service",
            "newsroom-worker.service",
        ]
        for name in names:
            text = (ROOT / "deploy" / "systemd" / name).read_text()
            text = text.replace("/srv/newsroom/app", str(ROOT))
            text = text.replace("/etc/newsroom/env", str(env_file))
            (tmp / name).write_text(text)
        result = subprocess.run(
            ["systemd-analyze", "verify", *(str(tmp / name) for name in names)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr.strip(), "")

    def test_requirements_lists_the_pinned_dependencies_and_chosen_extras(self):
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        result = run(["deploy/requirements.py", "s3"], {"PATH": os.environ["PATH"]})
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        expected = project["dependencies"] + project["optional-dependencies"]["s3"]
        self.assertEqual(lines, expected)
        self.assertNotIn("pytest", result.stdout)

    def test_requirements_names_an_unknown_extra(self):
        result = run(["deploy/requirements.py", "s4"], {"PATH": os.environ["PATH"]})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("No extra named s4", result.stderr)
