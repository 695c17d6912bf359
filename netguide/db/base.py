"""PostgreSQL with a bound on every wait for the server.

`statement_timeout` only helps while the server reads our bytes; a frozen server or
network (connections open, nothing answers) leaves psycopg waiting forever, and
TCP keepalives never fire because the kernel still acknowledges. psycopg 3 can bound
each wait; this backend does so for every query, the health check's included, then
closes the connection, so the request fails fast as an OperationalError (the 503).
"""

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        seconds = settings.DATABASE_WAIT_SECONDS
        if seconds:
            connection.wait = bounded_wait(connection, seconds)
        return connection


def bounded_wait(connection, seconds):
    wait = connection.wait

    def bounded(gen, interval=0.1, timeout=None):
        try:
            return wait(gen, interval=interval, timeout=timeout or seconds)
        except psycopg.errors._WaitTimeout:
            # The connection is mid-conversation: nothing can be sent on it again.
            connection.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {seconds:g} s"
            ) from None

    return bounded
