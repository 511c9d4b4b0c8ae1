import logging

import pytest

from newsletter import tracking
from tests.helpers import IMMEDIATE_TASKS
from tests.smtp_sink import SMTPSink


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    # Tasks run inline unless a test asks for a real backend; back-off is
    # instant so retry paths do not sleep.
    settings.TASKS = IMMEDIATE_TASKS
    settings.SITE_URL = "https://news.example.org"
    # Clicks written as they come (the batching has tests of its own).
    settings.NEWSLETTER = {
        **settings.NEWSLETTER,
        "RETRY_BASE_SECONDS": 0,
        "CLICK_BATCH": 1,
    }
    # The click redirect keeps each edition's links per process; ids come
    # back after a test's rollback, so an edition of the last test must not
    # stand in for this one's.
    tracking.forget_cached_editions()


@pytest.fixture
def smtp_sink():
    """A real SMTP server on 127.0.0.1 recording raw messages."""
    with SMTPSink() as sink:
        yield sink


@pytest.fixture
def smtp_mailers(settings, smtp_sink):
    """Point both mailers at the sink (Django's test runner made them locmem)."""
    settings.MAILERS = {"default": smtp_sink.mailer(), "bulk": smtp_sink.mailer()}
    return smtp_sink


# aiosmtpd logs every connection at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def pytest_terminal_summary(terminalreporter):
    # How many hostile values the test_hostile_*.py modules sent this run
    # (imported here: the module reads the settings as it loads).
    from tests.newsletter.hostile import TRIED

    if TRIED["count"]:
        terminalreporter.write_line(
            f"newsletter hostile inputs tried: {TRIED['count']}"
        )
