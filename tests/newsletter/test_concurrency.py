"""Signups racing for one address: one row, one subscription, one email.

On PostgreSQL the threads share the test database. SQLite's in-memory test
database cannot hold concurrent writers (its shared cache fails at once with
"table is locked" instead of waiting), so there the same race runs in a
subprocess against a migrated SQLite file: the configuration `make run` uses.
"""

import os
import threading
from pathlib import Path

from django.core import mail
from django.db import connection
from django.test import TransactionTestCase

from newsletter import services
from newsletter.models import Subscriber, Subscription, SubscriptionEvent
from tests.helpers import manage, shell
from tests.newsletter.factories import default_newsletter

SPELLINGS = ["ada@example.com", "ADA@example.com", " Ada@Example.com\u00a0"]
THREADS = 8


def race() -> dict:
    """Run THREADS signups of one address at once; report what happened."""
    from django.db import connection as conn

    from newsletter.models import normalize_email

    daily = default_newsletter()
    barrier = threading.Barrier(THREADS)
    errors = []

    def sign_up(spelling):
        try:
            barrier.wait(timeout=10)
            services.signup(normalize_email(spelling), [daily], source="footer")
        except Exception as exc:  # reported to the test
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [
        threading.Thread(target=sign_up, args=(SPELLINGS[i % len(SPELLINGS)],))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return {
        "errors": errors,
        "subscribers": Subscriber.objects.count(),
        "subscriptions": Subscription.objects.count(),
        "events": SubscriptionEvent.objects.count(),
    }


SCRIPT = """
from django.core import mail
from django.test.utils import setup_test_environment
setup_test_environment()
from tests.newsletter.test_concurrency import race
result = race()
result["emails"] = len(mail.outbox)
"""


class ConcurrentSignupTests(TransactionTestCase):
    def run_race(self):
        if connection.vendor != "sqlite":
            result = race()
            result["emails"] = len(mail.outbox)
            return result
        db_path = Path(self._tmp) / "race.sqlite3"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "TASKS_BACKEND": "immediate",
            "PAGE_CACHE_VERSION_FILE": str(Path(self._tmp) / "version"),
        }
        manage(env, "migrate", "--noinput")
        return shell(env, SCRIPT)

    def setUp(self):
        import tempfile

        self._tmp = tempfile.mkdtemp()

    def test_the_same_address_signing_up_at_once_makes_one_row_and_one_email(self):
        result = self.run_race()
        self.assertEqual(
            result,
            {
                "errors": [],
                "subscribers": 1,
                "subscriptions": 1,
                "events": 1,
                "emails": 1,
            },
        )
