"""System checks for sending through a provider (ids newsletter.*).

- newsletter.E001  BULK_EMAIL_URL (or EMAIL_URL) is anymail+amazon_ses but
                   boto3 is not installed (the `ses` extra).
- newsletter.W001  (deploy) editions go through a provider's API but
                   ANYMAIL_WEBHOOK_SECRET is unset: its bounce and complaint
                   reports are all refused, and the list decays.
"""

from importlib.util import find_spec

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


def _provider_backends() -> dict[str, str]:
    """alias: anymail provider module, for mailers that use anymail."""
    found = {}
    for alias, config in getattr(settings, "MAILERS", {}).items():
        backend = config.get("BACKEND", "")
        if backend.startswith("anymail.backends."):
            found[alias] = backend.split(".")[2]
    return found


@register(Tags.mail)
def check_provider_installed(app_configs, **kwargs):
    return [
        Error(
            f"The {alias!r} mailer sends through Amazon SES, which needs boto3.",
            hint="pip install -e '.[ses]' (the `ses` extra).",
            id="newsletter.E001",
        )
        for alias, provider in _provider_backends().items()
        if provider == "amazon_ses" and find_spec("boto3") is None
    ]


@register(Tags.mail, deploy=True)
def check_provider_webhook_secret(app_configs, **kwargs):
    providers = set(_provider_backends().values()) - {"test"}
    if not providers or getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
        return []
    return [
        Warning(
            "Mail goes through "
            f"{', '.join(sorted(providers))} but ANYMAIL_WEBHOOK_SECRET is not "
            "set: its bounce and complaint reports are refused, so bounced and "
            "complaining addresses keep being mailed.",
            hint="Set ANYMAIL_WEBHOOK_SECRET and give the provider the tracking "
            "webhook URL (docs/configuration.md).",
            id="newsletter.W001",
        )
    ]
