"""Overlapping runs of publish_scheduled, each on its own connection, publish a
scheduled approval exactly once.

The test commits, which leaves the database emptied when it ends: conftest.py marks it
`commits`, and CI runs it apart from the fast lane's processes."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from editorial.models import Action

from .kit import edit, make_published, publish_scheduled, submit

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite's in-memory test database locks its tables under concurrent "
        "writes",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_eight_runs_at_the_same_moment_publish_a_scheduled_approval_once(
    clock, editor, reviewer
):
    record = make_published(editor, reviewer, body="A scan every 6 months.")
    edit(record, editor, body="A scan every 3 months.")
    submit(record, editor, "Every 3 months.")
    record.schedule(
        reviewer, record.latest_revision.content_hash, clock.now + timedelta(days=1)
    )
    clock.advance(days=1)
    start = threading.Barrier(8)

    def run(_):
        start.wait()
        try:
            return publish_scheduled()
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=8) as pool:
        outputs = list(pool.map(run, range(8)))

    published = [out for out in outputs if out.startswith("Published")]
    assert len(published) == 1, outputs
    assert record.audit_entries().filter(action=Action.PUBLISHED).count() == 2
    assert record.audit_entries().filter(action=Action.APPROVED).count() == 2
