"""`manage.py worker`: db_worker that carries on when the database drops its
connections (issue 11, finding 6).

The worker runs in this process (batch mode: it stops once the queue is
empty), outside a test transaction as it runs in production; how the
connection is lost on PostgreSQL and on SQLite: tests/connection_loss.py.
"""

import signal
import time
from itertools import islice

from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import SimpleTestCase, TransactionTestCase, override_settings
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from newsroom.db import backoff
from newsroom.management.commands import worker
from tests.connection_loss import ConnectionLoss
from tests.newsroom import worker_tasks

DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
TASK_ROWS = DBTaskResult._meta.db_table


class Away:
    """An execute wrapper: the database does not answer the first `times`
    statements containing `marker` (as while it restarts)."""

    def __init__(self, marker: str, times: int):
        self.marker, self.left = marker, times

    def __call__(self, execute, sql, params, many, context):
        if self.marker in sql and self.left:
            self.left -= 1
            raise OperationalError("connection refused: is the server running?")
        return execute(sql, params, many, context)


def make_worker(pauses: list, batch: bool = True) -> worker.Worker:
    return worker.Worker(
        queue_names=["*"],
        interval=0,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
        sleep=pauses.append,
    )


@override_settings(TASKS=DB_TASKS)
class ReconnectTests(TransactionTestCase):
    def setUp(self):
        self.addCleanup(connection.close)
        self.pauses = []

    def run_worker(self, *wrappers):
        runner = make_worker(self.pauses)
        with self.assertLogs("newsroom.worker", "WARNING") as logs:
            for wrapper in wrappers:
                self.enterContext(connection.execute_wrapper(wrapper))
            runner.run()
        return runner, logs.output

    def test_it_reconnects_after_losing_the_database_and_runs_the_queued_task(self):
        result = worker_tasks.answer.enqueue(42)
        loss = ConnectionLoss(f'FROM "{TASK_ROWS}"')
        runner, logs = self.run_worker(loss)
        self.assertEqual(loss.dropped, 1)
        self.assertEqual(runner.reconnects, 1)
        self.assertEqual(self.pauses, [0.5])
        self.assertIn("lost the database connection", logs[0])
        self.assertIn("OperationalError", logs[0])
        self.assertIn("retrying in 0.5 s", logs[0])
        self.assertIn("reconnected to the database; carrying on", logs[1])
        result.refresh()
        self.assertEqual((result.status, result.return_value), ("SUCCESSFUL", 42))

    def test_its_pauses_grow_while_the_database_stays_away(self):
        worker_tasks.answer.enqueue(1)
        loss = ConnectionLoss(f'FROM "{TASK_ROWS}"')
        runner, logs = self.run_worker(loss, Away("SELECT 1", times=4))
        self.assertEqual(self.pauses, [0.5, 1, 2, 4, 8])
        self.assertEqual(runner.reconnects, 1)
        self.assertEqual(
            [line.rpartition("retrying in ")[2] for line in logs[:5]],
            ["0.5 s.", "1 s.", "2 s.", "4 s.", "8 s."],
        )
        self.assertIn("connection refused", logs[1])
        self.assertEqual(DBTaskResult.objects.get().status, "SUCCESSFUL")

    def test_a_task_cut_off_is_recorded_failed_once_reconnected_and_not_rerun(self):
        worker_tasks.count_deliveries.enqueue()
        worker_tasks.answer.enqueue(7)
        loss = ConnectionLoss('FROM "newsletter_delivery"')
        runner = make_worker(self.pauses)
        with connection.execute_wrapper(loss):
            runner.run()
        self.assertEqual(loss.dropped, 1)
        # On PostgreSQL the connection is really gone, so db_worker could not
        # record the failure and ours did once reconnected; on SQLite it
        # could (see tests/connection_loss.py).
        self.assertEqual(runner.reconnects, int(connection.vendor == "postgresql"))
        rows = dict(DBTaskResult.objects.values_list("task_path", "status"))
        self.assertEqual(
            rows,
            {
                "tests.newsroom.worker_tasks.count_deliveries": "FAILED",
                "tests.newsroom.worker_tasks.answer": "SUCCESSFUL",
            },
        )
        failed = DBTaskResult.objects.get(status="FAILED")
        self.assertIn("OperationalError", failed.traceback)
        self.assertEqual(len(failed.worker_ids), 1)


class SignalMidQuery:
    """An execute wrapper: SIGALRM, handled by the worker as a stop signal,
    arrives while the first statement containing `marker` is still running
    in the database (as SIGTERM does when it lands on the poll for tasks)."""

    def __init__(self, marker: str):
        self.marker, self.fired = marker, False

    def __call__(self, execute, sql, params, many, context):
        if self.marker in sql and not self.fired:
            self.fired = True
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            if context["connection"].vendor == "postgresql":
                context["cursor"].execute("SELECT pg_sleep(0.3)")
            else:  # SQLite has no sleep of its own
                time.sleep(0.3)
        return execute(sql, params, many, context)


@override_settings(TASKS=DB_TASKS)
class StopSignalTests(TransactionTestCase):
    def setUp(self):
        self.addCleanup(connection.close)
        previous = signal.getsignal(signal.SIGALRM)
        self.addCleanup(signal.signal, signal.SIGALRM, previous)
        self.addCleanup(signal.setitimer, signal.ITIMER_REAL, 0)

    def test_a_stop_signal_during_a_query_lets_it_finish_and_the_worker_returns(self):
        # Not batch mode: only the signal can end this loop. db_worker's own
        # handler raised SystemExit inside the query; on PostgreSQL that left
        # the connection mid-statement and the worker exited with status 1.
        runner = make_worker([], batch=False)
        signal.signal(signal.SIGALRM, runner.shutdown)
        stop = SignalMidQuery(f'FROM "{TASK_ROWS}"')
        with self.assertLogs("newsroom.worker", "WARNING") as logs:
            with connection.execute_wrapper(stop):
                runner.run()  # returns: no SystemExit, no ProgrammingError
        self.assertTrue(stop.fired)
        self.assertFalse(runner.running)
        self.assertIn("stopping after the current query or task", logs.output[0])
        with connection.cursor() as cursor:  # the connection is still sound
            cursor.execute("SELECT 1")
            self.assertEqual(cursor.fetchone(), (1,))

    def test_a_stop_signal_while_waiting_for_the_database_exits_at_once(self):
        runner = make_worker([], batch=False)
        runner.sleep = lambda pause: runner.shutdown(signal.SIGTERM, None)
        worker_tasks.answer.enqueue(1)
        with self.assertRaises(SystemExit) as stopped:
            with connection.execute_wrapper(ConnectionLoss(f'FROM "{TASK_ROWS}"')):
                with self.assertLogs("newsroom.worker", "WARNING"):
                    runner.run()
        self.assertEqual(stopped.exception.code, 0)
        self.assertEqual(runner.reconnects, 0)


class BackoffTests(SimpleTestCase):
    def test_pauses_double_up_to_a_cap(self):
        self.assertEqual(list(islice(backoff(), 9)), [0.5, 1, 2, 4, 8, 16, 30, 30, 30])


class CommandTests(SimpleTestCase):
    def test_it_takes_every_option_db_worker_takes(self):
        given = [
            "--queue-name=*",
            "--exclude-queues=email",
            "--interval=2.5",
            "--batch",
            "--no-reload",
            "--backend=default",
            "--no-startup-delay",
            "--max-tasks=3",
            "--worker-id=w1",
        ]
        for args in ([], given):
            with self.subTest(args=args):
                ours, theirs = (
                    vars(command.create_parser("manage.py", "x").parse_args(args))
                    for command in (worker.Command(), db_worker.Command())
                )
                if not args:  # a random one each time
                    ours.pop("worker_id"), theirs.pop("worker_id")
                self.assertEqual(ours, theirs)

    def test_it_refuses_excluded_queues_without_every_queue(self):
        with self.assertRaisesMessage(Exception, "--exclude-queues can only"):
            call_command("worker", "--queue-name", "email", "--exclude-queues", "x")
