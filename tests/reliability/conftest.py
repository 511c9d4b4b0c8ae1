"""Real processes for the reliability tests, all on 127.0.0.1: PostgreSQL
databases, gunicorn, task workers (`manage.py worker`, rqworker) and an SMTP
sink.

- Each test module gets a PostgreSQL database of its own,
  `newsroom_rel_<pid>_<module>`, copied from a template migrated once per
  session with `manage.py migrate` in a subprocess, and dropped afterwards.
  They are made whatever DATABASE_URL the suite runs with (SQLite too).
- Every process is started in its own process group with a hard deadline (a
  timer SIGKILLs the group) and killed in a finally; ports are free ones.
- Without PostgreSQL, or Redis where a test needs it, the tests skip and say
  why; with REQUIRE_SERVICES=1 (.ci/run) they fail instead.
- Figures a test measures go through the `figures` fixture and are printed
  in the terminal summary under "reliability figures".
"""

import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest

from tests.helpers import RQ_WORKER, TASK_WORKER, manage, shell

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
PG_ADMIN_URL = os.environ.get(
    "RELIABILITY_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = "redis://127.0.0.1:6379/9"  # ours alone; flushed by the fixture
# The key the subprocesses sign links with; tests compute tokens with it.
SECRET_KEY = "reliability-tests-" + "k" * 40
# No process outlives this, whatever happens to the test that started it.
PROCESS_DEADLINE = 300

FIGURES: dict[str, dict] = {}


# Services ----------------------------------------------------------------


def unavailable(what: str):
    message = (
        f"{what} is not reachable; the reliability tests run real processes against it."
    )
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} REQUIRE_SERVICES=1 makes this a failure.")
    pytest.skip(f"{message} Skipped (set REQUIRE_SERVICES=1 to fail instead).")


def pg_url(database: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}"


def pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def pg_rows(url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def pg_value(url: str, sql: str, params=()):
    rows = pg_rows(url, sql, params)
    return rows[0][0] if rows else None


def postgres_reachable() -> bool:
    try:
        pg_admin("SELECT 1")
    except psycopg.Error:
        return False
    return True


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_env(tmp: Path, database_url: str, **extra) -> dict:
    """The environment of every process of one test site."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEWSLETTER_", "GUNICORN", "PYTEST_"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "DEBUG": "1",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "https://news.example.org",
            "TASKS_BACKEND": "db",
            "CACHE_URL": "locmem://reliability",
            "EMAIL_URL": "dummy://",
            "BULK_EMAIL_URL": "dummy://",
            "PAGE_CACHE": "0",
            "PAGE_CACHE_VERSION_FILE": str(tmp / "content-version"),
            "MEDIA_ROOT": str(tmp / "media"),
            "LOG_LEVEL": "INFO",
            "ACCESS_LOG": "1",  # gunicorn's, through newsroom/gunicorn_conf.py
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory):
    """A migrated database the modules' databases are copied from."""
    if not postgres_reachable():
        unavailable(f"PostgreSQL ({PG_ADMIN_URL.rsplit('/', 1)[0]})")
    name = f"newsroom_rel_{os.getpid()}_template"
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_admin(f"CREATE DATABASE {name}")
    try:
        tmp = tmp_path_factory.mktemp("template")
        manage(site_env(tmp, pg_url(name)), "migrate", "--noinput", timeout=240)
        yield name
    finally:
        pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def copied_database(name: str, template: str):
    """A database copied from `template`, dropped afterwards: yields its URL."""
    name = f"newsroom_rel_{os.getpid()}_{name}"[:63]
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield pg_url(name)
    finally:
        pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def pg_database(request, pg_template):
    """This module's own database: the URL every process of it uses."""
    module = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    yield from copied_database(module, pg_template)


@pytest.fixture
def pg_database_per_test(request, pg_template):
    """A database of this test's own, for modules whose tests leave work
    queued (a failed send's tasks) that the next test's worker would run."""
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
    yield from copied_database(f"t{digest}", pg_template)


@pytest.fixture(scope="module")
def redis_db():
    """Redis database 9, empty at the start and at the end."""
    if not redis_reachable():
        unavailable("Redis (127.0.0.1:6379)")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


# Processes ---------------------------------------------------------------


class Process:
    """One subprocess in its own process group, output to a log file."""

    def __init__(self, name: str, args: list, env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        self.expired = False
        self._timer = threading.Timer(PROCESS_DEADLINE, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self):
        self.expired = True
        self._signal(signal.SIGKILL)

    def _signal(self, sig) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int:
        """Send `sig` to the process group and wait; a hang is a failure."""
        self._signal(sig)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.popen.wait(timeout=10)
            raise AssertionError(
                f"{self.name} did not exit within {timeout}s of {sig!r}:\n"
                f"{self.output()[-3000:]}"
            ) from None

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        self._timer.cancel()
        if self.alive:
            self._signal(signal.SIGKILL)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._log.close()


class Sink(Process):
    """tests/smtp_sink.py in its own process, read through its log."""

    def __init__(self, log_dir: Path, env: dict, faults: dict | None = None):
        self.port = free_port()
        self.events_path = log_dir / f"sink-{self.port}.events"
        args = [
            PY,
            "-m",
            "tests.smtp_sink",
            "--port",
            str(self.port),
            "--log",
            str(self.events_path),
        ]
        if faults:
            faults_path = log_dir / f"sink-{self.port}.json"
            faults_path.write_text(json.dumps(faults))
            args += ["--faults", str(faults_path)]
        super().__init__(f"sink-{self.port}", args, env, log_dir)
        wait_for(self._greets, 30, "the SMTP sink to answer", process=self)

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                return s.recv(3) == b"220"
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=10"

    def events(self) -> list[tuple[float, str, str, str]]:
        try:
            text = self.events_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        rows = []
        for line in text.split("\n")[:-1]:  # the last piece may be half written
            t, kind, address, value = line.split("\t")
            rows.append((float(t), kind, address, value))
        return rows

    def count(self) -> int:
        """Messages accepted so far (one per recipient)."""
        try:
            return self.events_path.read_bytes().count(b"\tMSG\t")
        except FileNotFoundError:
            return 0

    def recipients(self) -> Counter:
        return Counter(a for _, kind, a, _ in self.events() if kind == "MSG")


class Processes:
    """Starts the site's processes and kills every one of them on close."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[Process] = []

    def start(self, name: str, args: list, env: dict) -> Process:
        process = Process(f"{name}-{len(self.started)}", args, env, self.log_dir)
        self.started.append(process)
        return process

    def sink(self, faults: dict | None = None) -> Sink:
        sink = Sink(self.log_dir, dict(os.environ), faults)
        self.started.append(sink)
        return sink

    def gunicorn(self, env: dict, *, workers: int = 1, threads: int = 1) -> Process:
        port = free_port()
        process = self.start(
            "gunicorn",
            [
                PY,
                "-m",
                "gunicorn",
                "newsroom.wsgi",
                # The production settings (logs through the redacting
                # filter), with what this test needs on top.
                "--config",
                "python:newsroom.gunicorn_conf",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{port}",
                "--backlog",
                "2048",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
            ],
            env,
        )
        process.port = port
        process.url = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: _answers(port), 60, f"gunicorn on port {port}", process=process
        )
        return process

    def worker(self, env: dict) -> Process:
        """The task worker the project runs for TASKS_BACKEND=db (`make run`,
        deploy/systemd/newsroom-worker.service)."""
        return self.start(
            "worker",
            [PY, "manage.py", *TASK_WORKER],
            env,
        )

    def rq_worker(self, env: dict, name: str) -> Process:
        return self.start(
            name,
            [PY, "manage.py", *RQ_WORKER, "--name", name],
            env,
        )

    def close(self) -> None:
        for process in reversed(self.started):
            process.close()


def _answers(port: int) -> bool:
    try:
        status, _, _ = request("GET", f"http://127.0.0.1:{port}/newsletter/")
    except OSError:
        return False
    return status < 500


@pytest.fixture
def processes(tmp_path):
    manager = Processes(tmp_path)
    try:
        yield manager
    finally:
        manager.close()


@pytest.fixture(scope="module")
def module_processes(tmp_path_factory):
    manager = Processes(tmp_path_factory.mktemp("processes"))
    try:
        yield manager
    finally:
        manager.close()


# Helpers -----------------------------------------------------------------


def wait_for(predicate, timeout: float, what: str, *, process=None, every=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and not process.alive:
            raise AssertionError(
                f"{process.name} exited ({process.popen.returncode}) while "
                f"waiting for {what}:\n{process.output()[-3000:]}"
            )
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def seed_edition(env, slug: str, audience: int, *, sections: int = 3, name=None):
    """A newsletter `slug` with `audience` confirmed readers at <slug>.example
    and a started edition of one brief of `sections` sections of as many
    bullets: {"edition": id, "newsletter": id}."""
    return shell(
        env,
        f"""
from newsletter import tasks
from tests.factories import make_brief
from tests.newsletter.factories import make_audience, make_edition, make_newsletter
newsletter = make_newsletter(name="{name or slug}", slug="{slug}")
make_audience(newsletter, {audience}, domain="{slug}.example")
brief = make_brief(sections={sections}, bullets={sections}, slug="{slug}")
edition = make_edition(newsletter, [brief])
tasks.start(edition.pk)
result = {{"edition": edition.pk, "newsletter": newsletter.pk}}
""",
    )


def ledger(url: str, edition: int) -> dict:
    """The edition's delivery rows by status."""
    return dict(
        pg_rows(
            url,
            "SELECT status, count(*) FROM newsletter_delivery "
            "WHERE edition_id = %s GROUP BY status",
            (edition,),
        )
    )


def edition_state(url: str, edition: int) -> tuple:
    return pg_rows(
        url,
        "SELECT status, recipients_count, sent_count, failed_count, skipped_count "
        "FROM newsletter_edition WHERE id = %s",
        (edition,),
    )[0]


def wait_until_sent(url: str, edition: int, timeout: float, what: str, worker) -> None:
    """Wait for the edition to be sent; the worker exiting first fails the test."""
    wait_for(
        lambda: edition_state(url, edition)[0] == "sent",
        timeout,
        what,
        process=worker,
        every=0.1,
    )


def request(
    method: str, url: str, *, data=None, headers=None, timeout: float = 60
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One HTTP request, redirects not followed: (status, headers, body).

    `headers` answers case-insensitively and `get_all("Set-Cookie")`."""
    match = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    if isinstance(data, dict):
        body = urlencode(data)
    else:
        body = data.encode() if isinstance(data, str) else data
    headers = dict(headers or {})
    if body is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def task_backlog(database_url: str) -> int:
    """Tasks of the database backend still waiting or running."""
    return pg_value(
        database_url,
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status IN ('READY', 'RUNNING')",
    )


@pytest.fixture
def figures(request):
    """Record what a test measured; printed at the end of the run."""
    return FIGURES.setdefault(request.node.nodeid, {})


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "reliability figures")
    for nodeid, values in FIGURES.items():
        if values:
            terminalreporter.write_line(f"{nodeid}")
            for key, value in values.items():
                terminalreporter.write_line(f"    {key}: {value}")


class Session:
    """A browser's cookies against one or more of the site's web processes."""

    CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def send(self, method: str, url: str, data=None) -> tuple[int, object, bytes]:
        origin = re.match(r"http://[^/]+", url).group(0)
        headers = {"Origin": origin, "Referer": url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, response_headers, body = request(
            method, url, data=data, headers=headers
        )
        for cookie in response_headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, response_headers, body

    def post_form(self, url: str, data: dict) -> tuple[int, object, bytes]:
        """GET the page, then POST `data` with the CSRF token it carries."""
        status, _, body = self.send("GET", url)
        assert status == 200, (url, status, body[:500])
        token = self.CSRF.search(body.decode()).group(1)
        return self.send("POST", url, {**data, "csrfmiddlewaretoken": token})

    def login(self, base_url: str, username: str, password: str) -> None:
        status, headers, body = self.post_form(
            f"{base_url}/admin/login/?next=/admin/",
            {"username": username, "password": password, "next": "/admin/"},
        )
        assert status == 302 and "sessionid" in self.cookies, (status, body[:800])
