"""The rows a build adds to the test database, kept once and put back in milliseconds.

Building the published site runs the real import and the real review workflow: about
8,000 queries and 7-8 s of CPU (199 records). The suite needs that site in dozens of
modules and tests, so it builds it once (per session, or for all of CI's processes:
tests/conftest.py), keeps the rows the build added, and copies them back wherever the
site is wanted (COPY on PostgreSQL, executemany on SQLite).
"""

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection


class RowSnapshot:
    """The rows `build` added, table by table. The build may only add rows: a change
    to a row that was already there fails at once rather than be restored wrongly."""

    def __init__(self, added):
        self.added = added  # {table: (column names, rows)}

    @classmethod
    def of(cls, build):
        """Run `build` (in the caller's transaction) and keep the rows it added.
        Returns (the snapshot, what build returned)."""
        before = {table: rows_of(table) for table in tables()}
        result = build()
        added = {}
        for table in tables():
            columns, rows = rows_of(table)
            _, old_rows = before.get(table, (columns, []))
            old_by_key = {row[0]: row for row in old_rows}
            by_key = {row[0]: row for row in rows}
            for key, row in old_by_key.items():
                assert by_key.get(key) == row, (
                    f"the build changed or deleted row {key} of {table}: "
                    "a snapshot can only restore added rows"
                )
            new = [row for row in rows if row[0] not in old_by_key]
            if new:
                added[table] = (columns, copy_out(table, columns, new))
        return cls(added), result

    def restore(self):
        """Put the rows back, in the caller's transaction (foreign keys are checked
        at commit, so the order of the tables does not matter)."""
        with connection.cursor() as cursor:
            for table, (columns, rows) in self.added.items():
                copy_in(cursor, table, columns, rows)
            # Later inserts must not reuse the restored keys.
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models()):
                cursor.execute(sql)

    def models(self):
        by_table = {
            model._meta.db_table: model
            for model in apps.get_models(include_auto_created=True)
        }
        return [by_table[table] for table in self.added if table in by_table]


def tables():
    return connection.introspection.django_table_names(only_existing=True)


def rows_of(table):
    """(column names, rows ordered by the first column, the primary key)."""
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")
        columns = [column[0] for column in cursor.description]
        return columns, [tuple(row) for row in cursor.fetchall()]


def copy_out(table, columns, rows):
    """PostgreSQL: the rows as COPY's own text (JSON, arrays and time zones exact).
    SQLite: the plain values sqlite3 gives back, which it takes again as they are."""
    if connection.vendor != "postgresql":
        return rows
    keys = [row[0] for row in rows]
    quoted = connection.ops.quote_name(table)
    key = connection.ops.quote_name(columns[0])
    with connection.cursor() as cursor:
        sql = f"COPY (SELECT * FROM {quoted} WHERE {key} = ANY(%s)) TO STDOUT"
        with cursor.cursor.copy(sql, (keys,)) as copy:
            return b"".join(bytes(block) for block in copy)


def copy_in(cursor, table, columns, rows):
    quoted = connection.ops.quote_name(table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {quoted} ({names}) FROM STDIN") as copy:
            copy.write(rows)
    else:
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {quoted} ({names}) VALUES ({marks})", rows)
