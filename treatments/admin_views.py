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
