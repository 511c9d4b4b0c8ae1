"""Carrying on when the database drops a connection.

A restart, a failover or `pg_terminate_backend` ends every open connection;
Django only notices at the next statement, which fails with OperationalError
(or InterfaceError) and leaves the connection unusable until it is closed.
Outside a transaction the cure is to close it and try again on a new one,
after a pause that grows while the database stays away. Inside a transaction
nothing can be retried: the atomic block fails as a whole.
"""

import logging
import time
from collections.abc import Callable, Iterator

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

CONNECTION_ERRORS = (OperationalError, InterfaceError)


def backoff(first: float = 0.5, cap: float = 30.0) -> Iterator[float]:
    """Pauses between attempts: 0.5, 1, 2, 4 … seconds, then `cap` for ever."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


def describe(exc: BaseException) -> str:
    """One line for the log: the error's class and the first line of its message."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


def drop_broken_connection(using: str = DEFAULT_DB_ALIAS) -> None:
    """Close the connection if a statement on it failed and it no longer
    answers, so the next query opens a new one. A transaction in progress
    is left alone (closing would break it)."""
    connection = connections[using]
    if connection.in_atomic_block:
        return
    try:
        connection.close_if_unusable_or_obsolete()
    except CONNECTION_ERRORS:
        connection.close()


def retry_on_connection_loss[T](
    operation: Callable[[], T],
    *,
    what: str,
    until: float,
    failed: BaseException | None = None,
    using: str = DEFAULT_DB_ALIAS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `operation`; while it fails for want of a connection, close the
    connection, wait a growing pause and run it again on a new one.

    `failed` is the error of an attempt the caller already made. `until` is
    a time.monotonic() deadline: the error is raised once the next pause
    would pass it, and at once inside a transaction."""
    pauses = backoff()
    error = failed
    while True:
        if error is not None:
            connection = connections[using]
            pause = next(pauses)
            if connection.in_atomic_block or time.monotonic() + pause > until:
                raise error
            logger.warning(
                "%s: lost the database connection (%s); retrying in %g s.",
                what,
                describe(error),
                pause,
            )
            connection.close()
            sleep(pause)
        try:
            return operation()
        except CONNECTION_ERRORS as exc:
            error = exc
