"""Sending while the database drops connections (issue 11, finding 6).

Outside a test transaction, as a worker runs; how the connection is lost on
PostgreSQL and on SQLite: tests/connection_loss.py.
"""

from collections import Counter
from datetime import timedelta

from django.core import mail
from django.db import OperationalError, connection
from django.tasks import task_backends
from django.test import TransactionTestCase
from django.utils import timezone

from newsletter import sending, tasks
from newsletter.models import Delivery
from tests.connection_loss import ConnectionLoss
from tests.factories import make_brief
from tests.helpers import DUMMY_TASKS
from tests.newsletter.factories import (
    default_newsletter,
    make_audience,
    make_edition,
    make_subscriber,
)

D = Delivery.Status
MARK_SENT = "message_id = %s, claimed_by"  # only the statement that marks a row sent
STILL_OURS = "d.claimed_by = %s"  # the check made just before each message


class ConnectionLossTests(TransactionTestCase):
    def setUp(self):
        # Whatever a test leaves broken, the flush after it gets a live one.
        self.addCleanup(connection.close)
        self.daily = default_newsletter()
        self.readers = make_audience(self.daily, 5)
        self.edition = make_edition(self.daily, [make_brief()])
        with self.settings(TASKS=DUMMY_TASKS):
            tasks.start(self.edition.pk)

    def received(self) -> Counter:
        return Counter(message.to[0] for message in mail.outbox)

    def call_cut_short(self, loss, task, *args):
        """`task` called as a worker calls it while `loss` drops the
        connection: what it returned, the tasks it queued (recorded, not run)
        and what it logged."""
        with (
            self.settings(TASKS=DUMMY_TASKS),
            connection.execute_wrapper(loss),
            self.assertLogs("newsroom.db", "WARNING") as logs,
        ):
            outcome = task.call(*args)
            queued = list(task_backends["default"].results)
        return outcome, queued, logs.output

    def rows(self) -> dict:
        return dict(
            Delivery.objects.filter(edition=self.edition).values_list(
                "subscriber__email", "status"
            )
        )

    def test_a_message_the_relay_took_is_marked_sent_on_a_new_connection(self):
        loss = ConnectionLoss(MARK_SENT, skip=1)
        with connection.execute_wrapper(loss):
            result = sending.send_batch(self.edition.pk, worker="w1")
        self.assertEqual(loss.dropped, 1)
        self.assertEqual((result.claimed, result.sent, result.released), (5, 5, 0))
        # A later batch, the lease long over, finds nothing left to send.
        Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
        sending.send_all(self.edition.pk)
        self.assertEqual(self.received(), {r.email: 1 for r in self.readers})
        self.assertEqual(set(self.rows().values()), {D.SENT})

    def test_a_batch_cut_off_from_the_database_hands_its_unsent_rows_back(self):
        loss = ConnectionLoss(STILL_OURS, skip=2)
        with (
            connection.execute_wrapper(loss),
            self.assertRaises(OperationalError),
        ):
            sending.send_batch(self.edition.pk, worker="w1")
        self.assertEqual(loss.dropped, 1)
        connection.close()  # as the worker does after a failed task
        # Two went out and are marked sent; the other three are due again at
        # once, their attempt given back, not held until the lease runs out.
        rows = Delivery.objects.filter(edition=self.edition)
        self.assertEqual(
            Counter(rows.values_list("status", "attempts", "claimed_by")),
            {(D.SENT, 1, ""): 2, (D.PENDING, 0, ""): 3},
        )
        sending.send_all(self.edition.pk)
        self.assertEqual(self.received(), {r.email: 1 for r in self.readers})
        self.assertEqual(set(self.rows().values()), {D.SENT})

    def test_a_batch_task_cut_short_queues_the_next_batch_on_a_new_connection(self):
        outcome, results, logs = self.call_cut_short(
            ConnectionLoss(STILL_OURS, skip=2),
            tasks.send_edition_batch,
            self.edition.pk,
        )
        queued = [(r.task.name, r.args, r.task.run_after) for r in results]
        self.assertIn("interrupted", outcome)
        self.assertIn("lost the database connection", logs[0])
        # The chain goes on at once, not only when the watchdog wakes.
        self.assertIn(("send_edition_batch", [self.edition.pk], None), queued)
        sending.send_all(self.edition.pk)
        self.assertEqual(self.received(), {r.email: 1 for r in self.readers})

    def test_starting_an_edition_cut_short_queues_the_start_again(self):
        edition = make_edition(self.daily, [make_brief()])
        loss = ConnectionLoss('FROM "newsletter_edition"')
        _, results, _ = self.call_cut_short(loss, tasks.start_edition, edition.pk)
        queued = [(r.task.name, r.args, r.task.run_after) for r in results]
        self.assertEqual(loss.dropped, 1)
        # A scheduled edition would otherwise never go out.
        self.assertEqual(queued, [("start_edition", [edition.pk], None)])
        with self.settings(TASKS=DUMMY_TASKS):
            self.assertEqual(tasks.start_edition.call(*queued[0][1]), "started")
        edition.refresh_from_db()
        self.assertEqual(edition.status, "sending")

    def test_a_confirmation_mail_cut_short_is_queued_again(self):
        reader = make_subscriber(
            "new@example.com", newsletters=[self.daily], status="pending"
        )
        loss = ConnectionLoss('FROM "newsletter_subscriber"')
        _, results, _ = self.call_cut_short(loss, tasks.send_confirmation, reader.pk)
        queued = [(r.task.name, r.args, r.kwargs) for r in results]
        self.assertEqual(loss.dropped, 1)
        # Or the reader would get nothing, and the flood guard would keep
        # them from asking again for a day.
        self.assertEqual(queued, [("send_confirmation", [reader.pk], {})])
        with self.settings(TASKS=DUMMY_TASKS):
            self.assertEqual(tasks.send_confirmation.call(reader.pk), "sent")
        self.assertEqual(self.received(), {"new@example.com": 1})
