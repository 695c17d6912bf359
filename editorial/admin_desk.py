"""The editorial desk on every reviewable record's admin: history, compare,
restore, share links and who is editing. Mixed into ReviewableAdmin."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from .diffing import compare_snapshots
from .history import history_of
from .models import (
    Action,
    EditingMark,
    ReviewState,
    RevisionPage,
    ShareLink,
    Step,
    WorkflowError,
)
from .models.sharing import PREVIEW_MAX_AGE
from .tasks import queue_withdrawn


def saved_by(revision):
    return revision.author.get_username() if revision.author else "a content import"


class EditorialDeskMixin:
    def desk_urls(self, name):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/revisions/compare/",
                wrap(self.compare_view),
                name=f"{name}_compare",
            ),
            path(
                "<int:pk>/revisions/<int:number>/",
                wrap(self.revision_view),
                name=f"{name}_revision",
            ),
            path(
                "<int:pk>/revisions/<int:number>/restore/",
                wrap(self.restore_view),
                name=f"{name}_restore",
            ),
            path(
                "<int:pk>/share/<int:link>/revoke/",
                wrap(require_POST(self.revoke_link_view)),
                name=f"{name}_revoke_link",
            ),
            path(
                "<int:pk>/editing/",
                wrap(require_POST(self.editing_view)),
                name=f"{name}_editing",
            ),
            path(
                "<int:pk>/latest/",
                wrap(self.latest_revision_view),
                name=f"{name}_latest",
            ),
        ]

    def viewable_record(self, request, pk):
        # History's address is Django's (any text as the id): a bad id is a 404.
        record = self.get_object(request, unquote(str(pk)))
        if record is None:
            raise Http404("No such record")
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        return record

    def revision_of(self, record, number):
        revision = record.revisions().filter(number=number).first()
        if revision is None:
            raise Http404("No such revision")
        return revision

    # History ------------------------------------------------------------------

    def history_view(self, request, object_id, extra_context=None):
        """Every revision: who, when, its state and the reviewer's word on it."""
        record = self.viewable_record(request, object_id)
        steps = record.available_steps(request.user)
        return self.render_step(
            request,
            record,
            "history.html",
            {
                "title": f"History of “{record}”",
                "rows": history_of(record),
                "can_restore": Step.RESTORE in steps,
                "compare_url": self.url("compare", record),
            },
        )

    def revision_view(self, request, pk, number):
        """One revision exactly as the patient would see it (marked if not public)."""
        record = self.viewable_record(request, pk)
        revision = self.revision_of(record, number)
        response = record.serve(
            request,
            RevisionPage(
                record, revision, is_draft=revision.pk != record.live_revision_id
            ),
        )
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def compare_view(self, request, pk):
        """Two revisions side by side, field by field, changed words marked."""
        record = self.viewable_record(request, pk)
        numbers = sorted(
            # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
            {
                int(n)
                for n in request.GET.getlist("r")
                if n.isascii() and n.isdigit() and len(n) <= 9
            },
        )
        if len(numbers) != 2:
            messages.error(request, "Choose two revisions to compare.")
            return HttpResponseRedirect(self.url("history", record))
        old, new = (self.revision_of(record, n) for n in numbers)
        return self.render_step(
            request,
            record,
            "compare.html",
            {
                "title": f"Compare revisions {old.number} and {new.number} of “{record}”",
                "old": old,
                "new": new,
                "diff": compare_snapshots(old.snapshot, new.snapshot, type(record)),
                "history_url": self.url("history", record),
            },
        )

    def restore_view(self, request, pk, number):
        record = get_object_or_404(self.model, pk=pk)
        revision = self.revision_of(record, number)
        if refused := self.refuse_step(request, record, Step.RESTORE):
            return refused
        if request.method == "POST":
            state_before = record.review_state
            try:
                restored = record.restore(revision, request.user)
            except WorkflowError as error:
                messages.error(request, str(error))
                return HttpResponseRedirect(self.url("history", record))
            if state_before == ReviewState.SUBMITTED:
                messages.warning(
                    request,
                    "It was waiting for review: it is withdrawn now, and the "
                    "reviewers were told.",
                )
                queue_withdrawn(record, request.user)
            elif state_before == ReviewState.SCHEDULED:
                messages.warning(
                    request,
                    "It was approved to go live later: restoring cancelled that.",
                )
            messages.success(
                request,
                f"Revision {revision.number} was restored as {restored.label}, a "
                "draft in your name. The public page has not changed: it needs "
                "review like any other change, by someone else.",
            )
            return HttpResponseRedirect(self.url("change", record))
        latest = record.latest_revision
        return self.render_step(
            request,
            record,
            "restore.html",
            {
                "title": f"Restore revision {revision.number} of “{record}”",
                "revision": revision,
                "diff": compare_snapshots(
                    latest.snapshot, revision.snapshot, type(record)
                ),
                "latest": latest,
            },
        )

    # Share links -----------------------------------------------------------------

    def share_links(self, request, record):
        links = ShareLink.objects.for_record(record).select_related(
            "revision", "created_by", "revoked_by"
        )
        if not request.user.is_superuser:
            links = links.filter(created_by=request.user)
        return links

    def share_view(self, request, pk):
        record = self.get_record(request, pk, f"change_{self.model._meta.model_name}")
        revision = record.latest_revision
        if revision is None:
            messages.error(request, "Save the page first.")
            return HttpResponseRedirect(self.url("change", record))
        if request.method == "POST":
            link = ShareLink.objects.create(
                revision=revision,
                created_by=request.user,
                expires_at=timezone.now() + PREVIEW_MAX_AGE,
            )
            messages.success(
                request,
                f"A new preview link to {revision.label} was made. It works until "
                f"{timezone.localtime(link.expires_at):%B %d, %Y, %H:%M}.",
            )
            return HttpResponseRedirect(self.url("share", record) + f"#link-{link.pk}")
        return self.render_step(
            request,
            record,
            "share.html",
            {
                "title": f"Share a preview of “{record}”",
                "revision": revision,
                "links": self.share_links(request, record),
                "now": timezone.now(),
                "max_age_days": PREVIEW_MAX_AGE.days,
            },
        )

    def revoke_link_view(self, request, pk, link):
        record = get_object_or_404(self.model, pk=pk)
        link = get_object_or_404(ShareLink.objects.for_record(record), pk=link)
        if not link.can_revoke(request.user):
            return self.refused(
                request,
                record,
                "Only the person who made a link, or an administrator, can revoke it.",
            )
        link.revoke(request.user)
        messages.success(
            request,
            f"The link to {link.revision.label} is revoked: it now answers "
            "“This preview link has expired”.",
        )
        return HttpResponseRedirect(self.url("share", record))

    # Working together -------------------------------------------------------------

    def editing_view(self, request, pk):
        record = get_object_or_404(self.model, pk=pk)
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        if request.POST.get("editing") == "stop":
            EditingMark.release(record, request.user)
            messages.info(request, "Others no longer see you as editing this page.")
        else:
            mark = EditingMark.mark(record, request.user)
            until = f"{timezone.localtime(mark.expires_at):%H:%M}"
            if mark.user_id == request.user.pk:
                messages.info(
                    request,
                    f"Others now see that you are editing this page until {until}.",
                )
            else:
                messages.warning(
                    request,
                    f"{mark.user.get_username()} is already editing this page until "
                    f"{until}. You can still save; talk to them first.",
                )
        return HttpResponseRedirect(self.url("change", record))

    def latest_revision_view(self, request, pk):
        """What the change form's script asks: has someone saved since I opened it?"""
        record = self.viewable_record(request, pk)
        latest = record.latest_revision
        mark = EditingMark.objects.current(record)
        return JsonResponse(
            {
                "latest_revision": latest.pk if latest else None,
                "message": (
                    f"{saved_by(latest)} saved {latest.label} at "
                    f"{timezone.localtime(latest.created_at):%H:%M} since you opened "
                    "this page. Copy your changes, reload the page, and apply them "
                    "to the newer version."
                )
                if latest
                else "",
                "editing": (
                    f"{mark.user.get_username()} is editing this page until "
                    f"{timezone.localtime(mark.expires_at):%H:%M}."
                )
                if mark and mark.user_id != request.user.pk
                else "",
            },
            headers={"Cache-Control": "no-store"},
        )

    def desk_context(self, request, record):
        """What the change form shows above the fields, before anyone types."""
        context = {"desk_record": record}
        if record.review_state == ReviewState.CHANGES_REQUESTED:
            context["changes_requested"] = (
                record.audit_entries()
                .filter(action=Action.CHANGES_REQUESTED)
                .select_related("user")
                .first()
            )
        if record.review_state == ReviewState.SCHEDULED:
            context["go_live_at"] = record.go_live_at
        cancelled = (
            record.audit_entries()
            .filter(action__in=[Action.CREATED, Action.SCHEDULE_CANCELLED])
            .select_related("user")
            .first()
        )
        if cancelled and cancelled.action == Action.SCHEDULE_CANCELLED:
            context["schedule_cancelled"] = cancelled
        mark = EditingMark.objects.current(record)
        context["editing_mark"] = mark
        context["editing_mark_is_mine"] = bool(mark and mark.user_id == request.user.pk)
        context["editing_url"] = self.url("editing", record)
        context["latest_url"] = self.url("latest", record)
        context["history_url"] = self.url("history", record)
        return context
