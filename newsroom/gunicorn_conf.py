"""Gunicorn settings for production: `gunicorn -c python:newsroom.gunicorn_conf`.

Everything can be overridden on the command line or with GUNICORN_CMD_ARGS.
What this file adds to gunicorn's defaults:

- bind and worker count from the environment (PORT / GUNICORN_BIND,
  WEB_CONCURRENCY), sized for a small container by default;
- timeouts that free a stuck worker instead of holding it for ever;
- gunicorn's own logs (errors and, if ACCESS_LOG=1, one line per request)
  go through the handler Django's LOGGING defines (settings.py), with its
  newsroom.logging.RedactSecrets filter: an access line for /u/<token>/
  must not hold the token. That LOGGING is imported, not copied, so the two
  servers' lines cannot drift apart.

The access log is off unless ACCESS_LOG=1: the balancer in front already
writes a line per request, and a second one costs every request a redaction
pass. (gunicorn writes access lines whenever `logconfig_dict` is set, even
with `accesslog` unset, so "off" has to be said to its logger too.)
"""

import copy
import importlib
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(
    os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then: a slow leak never becomes an outage.
max_requests = 2000
max_requests_jitter = 200
# The load balancer in front answers slow clients; trust its X-Forwarded-*
# only from the addresses Django trusts (TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
# The proxy in front decides how long a request line and its headers may be,
# and refuses with the site's security headers (deploy/nginx). gunicorn's own
# limits would refuse some of what it lets through (nginx passes 8 KB lines
# over HTTP/1.1, longer ones over HTTP/2, and lengthens X-Forwarded-For) with
# a bare page of its own, so they sit above any proxy's.
limit_request_line = 0  # no limit of gunicorn's own (its maximum is 8190)
limit_request_fields = 32768  # gunicorn's maximum
limit_request_field_size = 65536

access_log_on = os.environ.get("ACCESS_LOG", "0") == "1"
accesslog = "-" if access_log_on else None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'

# The settings module the application runs with (newsroom/wsgi.py's default).
_settings = importlib.import_module(
    os.environ.get("DJANGO_SETTINGS_MODULE", "newsroom.settings")
)
# A copy: logging's dictConfig may rewrite the dictionary it is given.
logconfig_dict = copy.deepcopy(_settings.LOGGING)
logconfig_dict["loggers"] |= {
    "gunicorn.error": {
        "handlers": ["console"],
        "level": "INFO",
        "propagate": False,
    },
    "gunicorn.access": {
        "handlers": ["console"] if access_log_on else [],
        # Access lines are INFO: above it, gunicorn's logger drops them.
        "level": "INFO" if access_log_on else "WARNING",
        "propagate": False,
    },
}
