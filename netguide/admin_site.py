"""The editors' and reviewers' admin: a guessing-resistant login and the review dashboard."""

import hashlib
import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import UsernameField
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from treatments.models import LoginFailure
from treatments.review import reviewable_models, revision_permission

from .client import client_address

logger = logging.getLogger("netguide.security")


class LoginThrottle:
    """Counts failed admin logins per client address and per username (database)."""

    def __init__(self, request):
        # The username exactly as the login form cleans it before authenticating
        # (strip, then NFKC), casefolded: respelling or padding it gains nothing.
        username = UsernameField().to_python(request.POST.get("username", ""))
        self.keys = [
            "addr:" + hashlib.sha256(client_address(request).encode()).hexdigest(),
            "user:" + hashlib.sha256(username.casefold().encode()).hexdigest(),
        ]

    def allows_attempt(self):
        return LoginFailure.objects.attempt(
            self.keys, settings.ADMIN_LOGIN_ATTEMPTS, settings.ADMIN_LOCKOUT_SECONDS
        )

    def reset(self):
        LoginFailure.objects.forgive(self.keys)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is evidence: nobody adds, changes or deletes it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NetGuideAdminSite(admin.AdminSite):
    site_header = "NET Guide editorial"
    site_title = "NET Guide editorial"
    index_title = "Treatment guide content"

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        throttle = LoginThrottle(request)
        if not throttle.allows_attempt():
            minutes = settings.ADMIN_LOCKOUT_SECONDS // 60
            return TemplateResponse(
                request,
                "admin/login_locked.html",
                {
                    **self.each_context(request),
                    "title": "Too many attempts",
                    "minutes": minutes,
                },
                status=429,
            )
        response = super().login(request, extra_context)
        if request.user.is_authenticated:
            throttle.reset()
        return response

    def get_urls(self):
        return [
            path(
                "review/",
                self.admin_view(self.review_dashboard),
                name="review-dashboard",
            ),
            *super().get_urls(),
        ]

    def review_dashboard(self, request):
        """Everyone's queue: what waits for this user, what is due, what goes live
        when."""
        from treatments import queues
        from treatments.scheduling import scheduled_records

        user = request.user
        if not user.has_perm(revision_permission("view_revision")):
            raise PermissionDenied
        is_reviewer = user.has_perm(revision_permission("approve_revision")) or (
            user.has_perm(revision_permission("request_changes"))
        )
        is_editor = user.has_perm(revision_permission("submit_revision"))
        overdue, due_soon, behind = [], [], []
        for model in reviewable_models():
            overdue += [queues.QueueItem(record) for record in model.objects.overdue()]
            due_soon += [
                queues.QueueItem(record) for record in model.objects.due_for_review()
            ]
            if getattr(model, "translatable", False):
                behind += [
                    queues.QueueItem(record) for record in model.objects.out_of_date()
                ]
        return TemplateResponse(
            request,
            "admin/treatments/dashboard.html",
            {
                **self.each_context(request),
                "title": "Editorial desk",
                "is_reviewer": is_reviewer,
                "is_editor": is_editor,
                "waiting": queues.waiting_for(user) if is_reviewer else [],
                "changes_requested": (
                    queues.changes_requested_of(user) if is_editor else []
                ),
                "my_drafts": queues.my_drafts(user) if is_editor else [],
                "my_submissions": queues.my_submissions(user) if is_editor else [],
                "scheduled": [queues.QueueItem(r) for r in scheduled_records()],
                "overdue": overdue,
                "behind": behind,
                "due_soon": sorted(
                    due_soon, key=lambda item: item.record.next_review_due
                ),
            },
        )
