"""Previews of revisions that are not (yet) public: for staff, and through a
share link for an outside clinician."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from netguide.page_cache import private_page

from .models import RevisionPage
from .models.sharing import load_preview_token
from .registry import model_for_preview


@require_GET
@private_page
@staff_member_required
def draft_preview(request, kind, pk):
    """Staff see the latest draft exactly as the public page, marked as not reviewed."""
    model = model_for_preview(kind)
    record = get_object_or_404(model, pk=pk)
    opts = model._meta
    if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
        raise Http404("No such content")
    return record.serve(request, record.draft_content())


@require_GET
@private_page
def shared_preview(request, token):
    """A read-only preview of one revision for an outside clinician; the link expires."""
    try:
        revision = load_preview_token(token)
    except signing.SignatureExpired:
        return render(request, "editorial/preview_expired.html", status=410)
    except (signing.BadSignature, ObjectDoesNotExist, KeyError, TypeError):
        raise Http404("This preview link is not valid") from None
    record = revision.content_object
    if record is None:
        raise Http404("This content no longer exists")
    page = RevisionPage(
        record, revision, is_draft=revision.pk != record.live_revision_id
    )
    response = record.serve(request, page)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
