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
    """Staff's view of the review workload: waiting, overdue and due soon, with links."""
    from django.contrib import admin
    from django.core.exceptions import PermissionDenied
    from django.template.response import TemplateResponse
    from django.urls import reverse

    from .review import reviewable_models

    if not request.user.has_perm("treatments.view_revision"):
        raise PermissionDenied
    profile = getattr(request.user, "reviewer_profile", None)
    my_specialties = set(profile.specialties) if profile else set()

    def rows(queryset):
        found = []
        for record in queryset:
            opts = record._meta
            found.append(
                {
                    "record": record,
                    "kind": opts.verbose_name,
                    "mine": record.review_specialty in my_specialties,
                    "review_url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_review",
                        args=[record.pk],
                    ),
                    "change_url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_change",
                        args=[record.pk],
                    ),
                }
            )
        return found

    waiting, overdue, due_soon = [], [], []
    for model in reviewable_models():
        waiting += rows(
            model.objects.awaiting_review().select_related("latest_revision")
        )
        overdue += rows(model.objects.overdue())
        due_soon += rows(model.objects.due_for_review())
    # A reviewer's own specialties first, then the rest.
    waiting.sort(key=lambda row: (not row["mine"], str(row["record"])))
    return TemplateResponse(
        request,
        "admin/treatments/dashboard.html",
        {
            **admin.site.each_context(request),
            "title": "Medical review dashboard",
            "waiting": waiting,
            "overdue": overdue,
            "due_soon": sorted(due_soon, key=lambda row: row["record"].next_review_due),
        },
    )
