"""`manage.py worker`: the task worker for TASKS_BACKEND=db.

django-tasks-db's `db_worker` with the same options, which carries on when
the database drops its connections (a restart, a failover,
`pg_terminate_backend`). db_worker itself exits at the first failed query:
its loop only tolerates SQLite's "database is locked", and its attempts to
record a task's outcome retry on the connection that just died.
"""

import logging
import os
import signal
import time
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import connections, router
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from newsroom.db import CONNECTION_ERRORS, backoff, describe

logger = logging.getLogger("newsroom.worker")


class Worker(db_worker.Worker):
    """db_worker's loop, carried on after a lost connection.

    When a query fails for want of a connection, every connection is closed
    and the worker waits, 0.5 s then twice as long each time while the
    database stays away (at most 30 s), logging each attempt. Once a new
    connection answers, a task whose outcome could not be written is
    recorded as failed, and the loop starts again. A task is never run twice
    by this: one cut off mid-run is recorded failed, as db_worker would.
    """

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, **kwargs):
        super().__init__(**kwargs)
        self.sleep = sleep
        self.reconnects = 0
        self.unrecorded = None  # (task result, error) whose outcome was lost
        self.pausing = False  # in wait_for_database's sleep: no query in flight

    def shutdown(self, signum, frame) -> None:
        # db_worker's handler exits at once when no task is running, but
        # between tasks the worker is often mid-query (polling, claiming):
        # SystemExit raised inside the driver's wait leaves the connection
        # mid-statement, the transaction's cleanup then fails ("can't change
        # 'autocommit' now") and the worker dies with status 1 instead of
        # stopping cleanly. So the first signal only asks the loop to stop:
        # a query under way finishes, and db_worker's loop ends at its next
        # check, within one --interval. A second signal still forces it out.
        if not self.running or self.pausing:
            return super().shutdown(signum, frame)
        logger.warning(
            "Received %s; stopping after the current query or task.",
            signal.strsignal(signum),
        )
        self.running = False

    def run(self) -> None:
        while True:
            try:
                return super().run()
            except CONNECTION_ERRORS as exc:
                if not self.running:  # asked to stop: no waiting for the database
                    raise
                self.wait_for_database(exc)
            # db_worker's run() starts over: with --startup-delay (the
            # default) workers that lost the database together reconnect
            # spread over a second, not all at once.

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except CONNECTION_ERRORS as exc:
            # db_worker's set_successful / set_failed retry on the dead
            # connection and give up, leaving the row "RUNNING" for ever.
            self.unrecorded = (db_task_result, exc)
            raise

    def wait_for_database(self, error: BaseException) -> None:
        using = router.db_for_write(DBTaskResult)
        pauses = backoff()
        while self.running:  # else db_worker's loop sees it and returns
            pause = next(pauses)
            logger.warning(
                "Task worker %s lost the database connection (%s); retrying in %g s.",
                self.worker_id,
                describe(error),
                pause,
            )
            connections.close_all()
            self.pausing = True  # a stop signal may exit at once in here
            try:
                self.sleep(pause)
            finally:
                self.pausing = False
            if not self.running:
                return
            try:
                with connections[using].cursor() as cursor:
                    cursor.execute("SELECT 1")
                if self.unrecorded is not None:
                    result, cause = self.unrecorded
                    result.set_failed(cause)
                    self.unrecorded = None
            except CONNECTION_ERRORS as exc:
                error = exc
                continue
            self.reconnects += 1
            logger.warning(
                "Task worker %s reconnected to the database; carrying on.",
                self.worker_id,
            )
            return


class Command(db_worker.Command):
    help = (
        "Run the task worker for TASKS_BACKEND=db: django-tasks-db's db_worker "
        "with the same options, which waits and reconnects when the database "
        "drops its connections instead of exiting."
    )

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        # db_worker's handle(), building our Worker: django-tasks-db creates
        # its own Worker class inside handle() and offers no way to swap it.
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning(
                "--reload and --batch cannot be specified together. "
                "Disabling autoreload."
            )
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                # Only the reloader's child runs tasks and handles signals.
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
