"""Debian's nginx in front of gunicorn, as deploy/README.md installs it, for
test_nginx.py: the shipped files rewritten to this machine (local ports and
folders, a self-signed certificate) and the running site."""

import getpass
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

from tests.helpers import manage, shell
from tests.reliability.conftest import ROOT, free_port, site_env, unavailable, wait_for

HOST = "news.example.com"
ORIGIN = f"https://{HOST}"
DEPLOY = ROOT / "deploy" / "nginx"
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")


# The shipped files, rewritten to this machine --------------------------------


def rewrite(text: str, name: str, replacements: list[tuple[str, str]]) -> str:
    """`text` with each `old` replaced; an `old` that is gone fails loudly, so
    the test never runs a file other than the one it believes it runs."""
    for old, new in replacements:
        assert old in text, (
            f"{name} no longer contains {old!r}: update tests/reliability/nginx_site.py"
        )
        text = text.replace(old, new)
    return text


def nginx_binary() -> str | None:
    # Debian puts it in /usr/sbin, which is not on every user's PATH.
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if os.access(found, os.X_OK) else None


def configure(tmp: Path, *, http: int, https: int, upstream: int) -> Path:
    """Write the site, its snippets and a main nginx.conf under `tmp`."""
    for folder in ("snippets", "log", "acme", "temp"):
        (tmp / folder).mkdir(exist_ok=True)
    common = [("/srv/newsroom/app/", f"{ROOT}/")]
    snippets = f"{tmp}/snippets/"
    (tmp / "snippets" / "newsroom-headers.conf").write_text(
        (DEPLOY / "newsroom-headers.conf").read_text()
    )
    (tmp / "snippets" / "newsroom-server.conf").write_text(
        rewrite(
            (DEPLOY / "newsroom-server.conf").read_text(),
            "newsroom-server.conf",
            [*common, ("/etc/nginx/snippets/", snippets)],
        )
    )
    site = rewrite(
        (DEPLOY / "newsroom.conf").read_text(),
        "newsroom.conf",
        [
            ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{upstream} "),
            ("listen 80 default_server;", f"listen 127.0.0.1:{http} default_server;"),
            ("listen [::]:80 default_server;", ""),
            (
                "listen 443 ssl http2 default_server;",
                f"listen 127.0.0.1:{https} ssl http2 default_server;",
            ),
            ("listen [::]:443 ssl http2 default_server;", ""),
            (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(tmp / "cert.pem")),
            (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(tmp / "key.pem")),
            ("/etc/nginx/snippets/", snippets),
            ("/var/log/nginx/", f"{tmp}/log/"),
            ("/var/www/html", str(tmp / "acme")),
            # MEDIA_ROOT is <root>/media.
            ("root /srv/newsroom;", f"root {tmp};"),
        ],
    )
    (tmp / "newsroom.conf").write_text(site)
    main = DEBIAN_NGINX_CONF.read_text()
    # Workers run as root only if the test does (they read the test's files).
    main = re.sub(r"(?m)^\s*user\s+[^;]+;", "", main)
    if os.geteuid() == 0:
        main = f"user {getpass.getuser()};\n{main}"
    # pid and the error log come from the command line (-g).
    main = re.sub(r"(?m)^\s*(pid|error_log)\s+[^;]+;", "", main)
    temp = "".join(
        f"\t{kind}_temp_path {tmp}/temp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = rewrite(
        main,
        str(DEBIAN_NGINX_CONF),
        [
            ("http {", "http {\n" + temp),
            ("/var/log/nginx/", f"{tmp}/log/"),
            ("include /etc/nginx/conf.d/*.conf;", ""),
            ("include /etc/nginx/sites-enabled/*;", f"include {tmp}/newsroom.conf;"),
        ],
    )
    (tmp / "nginx.conf").write_text(main)
    return tmp / "nginx.conf"


def self_signed_certificate(tmp: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST}",
            "-keyout",
            str(tmp / "key.pem"),
            "-out",
            str(tmp / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


# The running site --------------------------------------------------------


class Site:
    def __init__(self, tmp, env, gunicorn, nginx, http_port, https_port, data):
        self.tmp = tmp
        self.env = env
        self.gunicorn = gunicorn
        self.nginx = nginx
        self.http_port = http_port
        self.https_port = https_port
        self.data = data
        self.tls = ssl.create_default_context(cafile=tmp / "cert.pem")

    def connect(self, source: str = "127.0.0.1", timeout: float = 10) -> ssl.SSLSocket:
        raw = socket.create_connection(
            ("127.0.0.1", self.https_port), timeout=timeout, source_address=(source, 0)
        )
        return self.tls.wrap_socket(raw, server_hostname=HOST)

    def fetch(
        self, path, *, method="GET", headers=None, body=None, source="127.0.0.1"
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request over TLS to nginx: (status, headers, body as sent)."""
        conn = http.client.HTTPConnection(HOST, timeout=10)
        conn.sock = self.connect(source)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def raw(self, data: bytes, *, tls=True, port=None) -> tuple[int, dict, bytes]:
        """Bytes as they are, for requests http.client would refuse to send;
        without TLS to the http port unless given another."""
        if tls:
            sock = self.connect()
        else:
            port = port or self.http_port
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        with sock:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock)
            response.begin()
            return response.status, response.headers, response.read()


def start_site(module_processes, tmp_path_factory) -> Site:
    """The site set up as deploy/README.md sets it up (on SQLite), with one
    brief, an editor and five readers, behind gunicorn and nginx."""
    nginx = nginx_binary()
    if nginx is None or not DEBIAN_NGINX_CONF.exists():
        unavailable("Debian's nginx (apt-get install nginx)")
    if shutil.which("openssl") is None:
        unavailable("openssl (apt-get install openssl)")
    tmp = tmp_path_factory.mktemp("nginx")
    # The environment deploy/README.md writes to /etc/newsroom/env, on SQLite.
    env = site_env(
        tmp,
        f"sqlite:///{tmp}/db.sqlite3",
        DEBUG="0",
        ALLOWED_HOSTS=HOST,
        SITE_URL=ORIGIN,
        CSRF_TRUSTED_ORIGINS=ORIGIN,
        BEHIND_HTTPS_PROXY="1",
        TRUSTED_PROXIES="127.0.0.1",
        MEDIA_SERVED_BY="nginx",
        STATIC_ROOT=tmp / "static",
        # Shared by gunicorn's processes, so one rate limit counts for both.
        CACHE_URL=f"file://{tmp}/cache",
        PAGE_CACHE="1",
        # Renditions are made as the brief is saved, by the saving process.
        TASKS_BACKEND="immediate",
        NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR="1",
        ACCESS_LOG="0",
        LOG_LEVEL="WARNING",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    data = shell(
        env,
        """
from tests.factories import make_brief, make_user
from tests.imagefiles import image_bytes, upload
from tests.newsletter.factories import default_newsletter, make_subscriber

article = make_brief(
    headline="Rivers rise across the north",
    slug="rivers-rise",
    hero_image=upload("river.jpg", image_bytes(size=(1600, 900))),
    hero_alt="A river in flood",
)
article.refresh_from_db()
make_user("editor", superuser=True)
daily = default_newsletter()
readers = [make_subscriber(f"reader{i}@example.com", newsletters=[daily]) for i in range(5)]
result = {
    "path": article.get_absolute_url(),
    "hero": article.hero_image.name,
    "renditions": article.hero_renditions,
    "subscribers": [s.pk for s in readers],
}
""",
    )
    assert data["renditions"].get("items"), data
    self_signed_certificate(tmp)
    gunicorn = module_processes.gunicorn(env, workers=2)
    http_port, https_port = free_port(), free_port()
    conf = configure(tmp, http=http_port, https=https_port, upstream=gunicorn.port)
    command = [nginx, "-c", str(conf), "-p", str(tmp)]
    globals_ = f"pid {tmp}/nginx.pid; error_log {tmp}/log/error.log warn;"
    checked = subprocess.run(
        [*command, "-t", "-g", globals_], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr
    server = module_processes.start(
        "nginx", [*command, "-g", f"daemon off; {globals_}"], dict(os.environ)
    )
    wait_for(lambda: _listening(https_port), 30, "nginx to listen", process=server)
    return Site(tmp, env, gunicorn, server, http_port, https_port, data)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
