"""PostgreSQL with a bound on every wait for the server.

`statement_timeout` only helps while the server reads our bytes; a frozen server or
network (connections open, nothing answers) leaves psycopg waiting forever, and
TCP keepalives never fire because the kernel still acknowledges. psycopg 3 can bound
each wait; this backend does so for every query, the health check's included, then
closes the connection, so the request fails fast as an OperationalError (the 503).

Connections come from Django's psycopg pool (settings.DATABASE_POOL_SIZE) and live
across requests: the bound is put on each connection once, as it is opened.
"""

import time

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _configure_connection(self, connection):
        # Called once for each new connection, before its first query: by the pool as
        # it opens one, or by Django itself when there is no pool.
        seconds = settings.DATABASE_WAIT_SECONDS
        if seconds:
            connection.wait = bounded_wait(connection, seconds)
        return super()._configure_connection(connection)

    def get_new_connection(self, conn_params):
        deadline = time.monotonic() + (self.pool.timeout if self.pool else 0)
        connection = super().get_new_connection(conn_params)
        if not self.pool or not self.settings_dict["CONN_HEALTH_CHECKS"]:
            return connection
        # The pool's own check (settings: off) sleeps 1 s, then 2 s, 4 s... after each
        # broken connection it finds: after a database restart, a worker's first
        # requests ran out of time on the connections the restart broke, though the
        # database answered again. A broken one is dropped here and the next taken at
        # once; the pool opens new ones in their place.
        while True:
            try:
                connection.execute("")
                return connection
            except psycopg.Error:
                connection.close()
                self.pool.putconn(connection)
                if time.monotonic() >= deadline:
                    raise
            connection = self.pool.getconn(timeout=deadline - time.monotonic())
            if "isolation_level" in self.settings_dict["OPTIONS"]:
                connection.isolation_level = self.isolation_level


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
