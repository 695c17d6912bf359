"""Background work as the admin shows it (the tasks are django-tasks-db's rows, run
by `manage.py worker`; netguide/background.py)."""

from django_tasks_db.models import DBTaskResult


class BackgroundTask(DBTaskResult):
    """A run of a background task, as the admin shows it to the people it concerns."""

    class Meta:
        proxy = True
        verbose_name = "background task"
