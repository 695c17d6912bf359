"""Background work in the admin: each failed (or waiting) run, with its error, for
the people its queue concerns (settings.TASK_QUEUES): reviewers see publishing,
coordinators the team's emails, administrators everything."""

from django.contrib import admin
from django.utils.html import format_html
from django_tasks_db.models import DBTaskResult

from netguide import background

from .admin_site import ReadOnlyAdmin
from .models import BackgroundTask

admin.site.unregister(DBTaskResult)  # django-tasks-db's own: administrators only


def error_line(row):
    """The exception's name and its message: the traceback's last line, without the
    module the exception class is in."""
    lines = [line for line in (row.traceback or "").splitlines() if line.strip()]
    if not lines:
        return ""
    name, colon, message = lines[-1].partition(": ")
    return name.rsplit(".", 1)[-1] + colon + message


@admin.register(BackgroundTask)
class BackgroundTaskAdmin(ReadOnlyAdmin):
    list_display = ("task", "what_went_wrong", "status", "finished")
    list_filter = ("status", "queue_name")
    ordering = ("-enqueued_at",)
    fields = (
        "task",
        "status",
        "queue_name",
        "arguments",
        "enqueued_at",
        "run_after_shown",
        "started_at",
        "finished_at",
        "what_went_wrong",
        "traceback_shown",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        queues = background.queues_for(request.user)
        return super().get_queryset(request).filter(queue_name__in=queues)

    def has_module_permission(self, request):
        return bool(background.queues_for(request.user))

    def has_view_permission(self, request, obj=None):
        queues = background.queues_for(request.user)
        return bool(queues) and (obj is None or obj.queue_name in queues)

    @admin.display(description="task")
    def task(self, obj):
        return obj.task_name.replace("_", " ")

    @admin.display(description="arguments")
    def arguments(self, obj):
        return ", ".join(str(arg) for arg in obj.args_kwargs.get("args", [])) or "-"

    @admin.display(description="finished", ordering="finished_at")
    def finished(self, obj):
        return obj.finished_at or "-"

    @admin.display(description="runs after")
    def run_after_shown(self, obj):
        return "-" if obj.run_after == background.get_date_max() else obj.run_after

    @admin.display(description="what went wrong")
    def what_went_wrong(self, obj):
        line = error_line(obj)
        return format_html("<strong>{}</strong>", line) if line else "-"

    @admin.display(description="traceback")
    def traceback_shown(self, obj):
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "-"
