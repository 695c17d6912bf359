"""The background worker: django-tasks-db's db_worker on every queue, with the
schedule started first."""

from django_tasks_db.management.commands import db_worker

from netguide import background


class Command(db_worker.Command):
    help = (
        "Run the background worker: approvals' published files, scheduled go-lives, "
        "the team's emails and the daily jobs (docs/background-work.md). Every "
        "queue unless --queue-name says otherwise; stops on Ctrl-C or SIGTERM "
        "after the task it is running."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")

    def handle(self, *args, **options):
        background.start_schedule()
        super().handle(*args, **options)
