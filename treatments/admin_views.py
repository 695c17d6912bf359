from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from .markdown import MarkdownTooDeep, render_markdown, validate_markdown


@require_POST
@staff_member_required
def markdown_preview(request):
    """The admin editor's live preview, sanitized exactly like the public page."""
    source = request.POST.get("content")
    if source is None:
        return HttpResponseBadRequest("Missing 'content'.")
    try:
        validate_markdown(source)
        warning = ""
    except ValidationError as error:
        warning = format_html(
            '<p class="markdown-warning" role="alert"><strong>Not saved as is:</strong> {}</p>',
            error.messages[0],
        )
    try:
        html = render_markdown(source)
    except MarkdownTooDeep:
        html = ""
    return HttpResponse(warning + html)


def review_dashboard(request):
    """Everyone's queue: what waits for this user, what is due, what goes live when."""
    from django.contrib import admin
    from django.core.exceptions import PermissionDenied
    from django.template.response import TemplateResponse

    from . import queues
    from .review import reviewable_models
    from .scheduling import scheduled_records

    user = request.user
    if not user.has_perm("treatments.view_revision"):
        raise PermissionDenied
    is_reviewer = user.has_perm("treatments.approve_revision") or user.has_perm(
        "treatments.request_changes"
    )
    is_editor = user.has_perm("treatments.submit_revision")
    overdue, due_soon = [], []
    for model in reviewable_models():
        overdue += [queues.QueueItem(record) for record in model.objects.overdue()]
        due_soon += [
            queues.QueueItem(record) for record in model.objects.due_for_review()
        ]
    return TemplateResponse(
        request,
        "admin/treatments/dashboard.html",
        {
            **admin.site.each_context(request),
            "title": "Editorial desk",
            "is_reviewer": is_reviewer,
            "is_editor": is_editor,
            "waiting": queues.waiting_for(user) if is_reviewer else [],
            "changes_requested": queues.changes_requested_of(user) if is_editor else [],
            "my_drafts": queues.my_drafts(user) if is_editor else [],
            "my_submissions": queues.my_submissions(user) if is_editor else [],
            "scheduled": [queues.QueueItem(r) for r in scheduled_records()],
            "overdue": overdue,
            "due_soon": sorted(due_soon, key=lambda row: row.record.next_review_due),
        },
    )
