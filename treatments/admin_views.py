from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_POST

from .markdown import render_markdown


@require_POST
@staff_member_required
def markdown_preview(request):
    """The admin editor's live preview, sanitized exactly like the public page."""
    source = request.POST.get("content")
    if source is None:
        return HttpResponseBadRequest("Missing 'content'.")
    return HttpResponse(render_markdown(source))
