"""Losing the database connection on purpose, in a test.

On PostgreSQL the server really terminates it (pg_terminate_backend from a
second connection), so the statement fails as in production and the
connection stays dead until closed. SQLite's in-memory test database cannot
lose its connection: there the statement fails with the same OperationalError
and the connection works again afterwards. Use it outside a test transaction
(TransactionTestCase): only in autocommit can a connection be closed and
opened again.
"""

import psycopg
from django.db import OperationalError


class ConnectionLoss:
    """An execute wrapper that loses the connection just before the `skip`+1-th
    statement containing `marker` (once)."""

    def __init__(self, marker: str, *, skip: int = 0):
        self.marker = marker
        self.skip = skip
        self.seen = 0
        self.dropped = 0

    def __call__(self, execute, sql, params, many, context):
        if self.marker in sql and not self.dropped:
            self.seen += 1
            if self.seen > self.skip:
                self.dropped += 1
                self.drop(context["connection"])
        return execute(sql, params, many, context)

    def drop(self, db):
        if db.vendor != "postgresql":
            raise OperationalError("server closed the connection unexpectedly")
        pid = db.connection.info.backend_pid
        settings = db.settings_dict
        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"],
            port=settings["PORT"] or None,
            autocommit=True,
        ) as admin:
            # Waits until the backend is gone, so the next statement meets a
            # dead connection.
            admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
