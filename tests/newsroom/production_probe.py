"""Requests against the production settings, run in a subprocess by
tests/newsroom/test_deploy.py with DEBUG=0 and the rest in the environment.

Prints one JSON object: for each probe, status, headers and the body.
"""

import json
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    assert settings.DEBUG is False
    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    host = settings.ALLOWED_HOSTS[0]
    probes = {
        "home": ("/", {"secure": True}),
        "home_over_http": ("/", {}),
        "admin_login": ("/admin/login/", {"secure": True}),
        "not_found": ("/no-such-page/?token=abc", {"secure": True}),
        "server_error": ("/boom/", {"secure": True}),
        "bad_host": ("/", {"secure": True, "HTTP_HOST": "evil.example"}),
    }
    results = {}
    # Collected static files are not built here; the manifest storage would
    # refuse every {% static %}. Nothing else about the settings changes.
    with override_settings(
        ROOT_URLCONF="tests.newsroom.error_urls",
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        },
    ):
        client = Client(raise_request_exception=False)
        for name, (path, extra) in probes.items():
            extra = {"HTTP_HOST": host, **extra}
            response = client.get(path, **extra)
            results[name] = {
                "status": response.status_code,
                "headers": dict(response.headers),
                "body": response.content.decode("utf-8", "replace"),
            }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
