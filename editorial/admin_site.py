"""The admin site: a guessing-resistant login and the editorial desk's dashboard."""

import hashlib
import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import UsernameField
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from netguide import background
from netguide.client import client_address

from . import queues
from .evidence_review import pages_with_changed_evidence, published_without_support
from .models import LoginFailure, revision_permission
from .registry import reviewable_models, scheduled_records

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


# What each staff group is called in the header, in the order a person's roles are named.
STAFF_ROLES = {
    "Editors": "Editor",
    "Medical reviewers": "Medical reviewer",
    "Appointment coordinators": "Coordinator",
    "Privacy officers": "Privacy officer",
}


def staff_role(user):
    """The user's roles as the header names them: "Editor", "Coordinator and
    Privacy officer", "Administrator" for a superuser without a group."""
    groups = set(user.groups.values_list("name", flat=True))
    roles = [role for group, role in STAFF_ROLES.items() if group in groups]
    if not roles and user.is_superuser:
        roles = ["Administrator"]
    return " and ".join(roles)


class EditorialAdminSite(admin.AdminSite):
    site_header = "NET Guide editorial"
    site_title = "NET Guide editorial"
    index_title = "Treatment guide content"
    # The left sidebar took 300 px of a 1280 px screen from every list; the home
    # page lists the same models.
    enable_nav_sidebar = False

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        throttle = LoginThrottle(request)
        if not throttle.allows_attempt():
            minutes = settings.ADMIN_LOCKOUT_SECONDS // 60
            return TemplateResponse(
                request,
                "editorial/admin/login_locked.html",
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

    def each_context(self, request):
        context = super().each_context(request)
        user = request.user
        if user.is_authenticated:
            context["staff_name"] = user.get_full_name() or user.get_username()
            context["staff_role"] = staff_role(user)
        return context

    def index(self, request, extra_context=None):
        # Failed background work that concerns this person (docs/background-work.md).
        failures = background.failures_for(request.user).count()
        return super().index(
            request,
            {
                **(extra_context or {}),
                **self.home(request.user),
                "background_failures": failures,
            },
        )

    def home(self, user):
        """Each role's own home: editors and reviewers get the desk's queue first;
        someone without content work (a coordinator) gets no desk at all."""
        is_reviewer = user.has_perm(revision_permission("approve_revision"))
        is_editor = user.has_perm(revision_permission("submit_revision"))
        if not (is_reviewer or is_editor):
            return {"shows_desk": False, "title": "Home"}
        return {
            "shows_desk": True,
            "title": "Editorial desk",
            "waiting": queues.waiting_for(user) if is_reviewer else [],
            "changes_requested": (
                queues.changes_requested_of(user) if is_editor else []
            ),
            "my_drafts": queues.my_drafts(user) if is_editor else [],
        }

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
            behind += [
                queues.QueueItem(record) for record in model.objects.out_of_date()
            ]
        return TemplateResponse(
            request,
            "editorial/admin/dashboard.html",
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
                "changed_evidence": [
                    (queues.QueueItem(record), changes)
                    for record, changes in pages_with_changed_evidence()
                ],
                "without_support": [
                    (queues.QueueItem(record), statements)
                    for record, statements in published_without_support()
                ],
                "due_soon": sorted(
                    due_soon, key=lambda item: item.record.next_review_due
                ),
            },
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence (history, the audit trail, background runs): nobody adds, changes or
    deletes it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
